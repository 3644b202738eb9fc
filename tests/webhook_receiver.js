// The seed's webhook handler (seeds/chat-server-rest-api.md, "Webhook Handler
// (Node.js)"), with Node's own http module standing in for express and
// express.json(): the body is parsed with JSON.parse, and the signature is checked
// exactly as printed, over JSON.stringify of the parsed body. Prints its port, then
// one line per request: {"ok", "event", "signature_valid"}.
const http = require('http');
const crypto = require('crypto');

function verifyWebhookSignature(payload, signature, secret) {
    const expectedSignature = crypto
        .createHmac('sha256', secret)
        .update(payload)
        .digest('hex');

    return crypto.timingSafeEqual(
        Buffer.from(signature, 'hex'),
        Buffer.from(expectedSignature, 'hex')
    );
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        let body;
        try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')); // express.json()
        } catch (e) {
            console.log(JSON.stringify({ ok: false, error: 'not JSON' }));
            res.statusCode = 400;
            return res.end('Bad JSON');
        }
        const signature = req.headers['x-webhook-signature'];
        const payload = JSON.stringify(body);
        let valid = false;
        try {
            valid = verifyWebhookSignature(payload, signature, process.env.WEBHOOK_SECRET);
        } catch (e) {
            valid = false;
        }
        console.log(JSON.stringify({ ok: valid, event: body.event, delivery: body.delivery_id }));
        if (!valid) {
            res.statusCode = 401;
            return res.end('Invalid signature');
        }
        res.statusCode = 200;
        res.end('OK');
    });
});

server.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ port: server.address().port }));
});
