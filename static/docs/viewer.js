// Renders /api/v1/openapi.json: operations grouped by tag, each with its
// parameters, request body and answers. Plain DOM, no library, no inline code.

const main = document.getElementById("operations");
const filter = document.getElementById("filter");

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

// Replaces `$ref`s by the schemas they name, a few levels deep.
function resolve(schema, components, depth = 0) {
  if (!schema || typeof schema !== "object" || depth > 4) return schema;
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return resolve(components[name], components, depth + 1);
  }
  if (Array.isArray(schema)) return schema.map((s) => resolve(s, components, depth + 1));
  const out = {};
  for (const [key, value] of Object.entries(schema)) out[key] = resolve(value, components, depth + 1);
  return out;
}

function schemaBlock(title, schema, components) {
  return [element("h4", {}, title), element("pre", {}, JSON.stringify(resolve(schema, components), null, 2))];
}

function operation(method, path, op, components) {
  const secured = !(Array.isArray(op.security) && op.security.length === 0);
  const head = element(
    "summary", {},
    element("span", { class: `method ${method}` }, method.toUpperCase()),
    element("span", { class: "path" }, path),
    element("span", {}, op.summary || ""),
  );
  if (secured) head.append(element("span", { class: "lock" }, "token"));
  const body = element("div", { class: "body" });
  if (op.parameters && op.parameters.length) {
    const rows = op.parameters.map((p) => element(
      "tr", {},
      element("td", {}, element("code", {}, p.name)),
      element("td", {}, p.in),
      element("td", {}, JSON.stringify(p.schema)),
      element("td", {}, p.required ? "required" : ""),
    ));
    body.append(element("h4", {}, "Parameters"), element("table", {}, ...rows));
  }
  const content = op.requestBody && op.requestBody.content;
  if (content) {
    for (const [type, media] of Object.entries(content)) {
      body.append(...schemaBlock(`Body (${type})`, media.schema, components));
    }
  }
  for (const [status, answer] of Object.entries(op.responses || {})) {
    const media = answer.content && Object.values(answer.content)[0];
    const title = `${status}: ${answer.description}`;
    if (media && media.schema && Object.keys(media.schema).length) {
      body.append(...schemaBlock(title, media.schema, components));
    } else {
      body.append(element("h4", {}, title));
    }
  }
  const item = element("details", {}, head, body);
  item.dataset.search = `${method} ${path} ${op.summary} ${(op.tags || []).join(" ")}`.toLowerCase();
  return item;
}

function render(doc) {
  const components = (doc.components && doc.components.schemas) || {};
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(method, path, op, components));
    }
  }
  main.replaceChildren();
  for (const [tag, items] of byTag) {
    main.append(element("section", {}, element("h2", {}, tag), ...items));
  }
}

filter.addEventListener("input", () => {
  const words = filter.value.toLowerCase().trim();
  for (const item of main.querySelectorAll("details")) {
    item.hidden = words !== "" && !item.dataset.search.includes(words);
  }
});

fetch("/api/v1/openapi.json")
  .then((answer) => answer.json())
  .then(render)
  .catch((error) => { main.textContent = `The document could not be read: ${error}`; });
