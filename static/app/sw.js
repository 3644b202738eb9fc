// Veza's service worker: shows the notifications the server pushes (and those
// the open tab asks it to show), and opens the conversation when one is clicked.
// It caches nothing: the client is always served fresh.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** A path of this origin, or the client's home: a notification opens nothing else. */
function sameOrigin(url) {
  try {
    const target = new URL(url || '/', self.location.origin);
    return target.origin === self.location.origin ? target.href : self.location.origin + '/';
  } catch {
    return self.location.origin + '/';
  }
}

self.addEventListener('push', (event) => {
  let note;
  try {
    note = event.data ? event.data.json() : {};
  } catch {
    note = { title: 'Veza', body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(self.registration.showNotification(note.title || 'Veza', {
    body: note.body || '',
    // One notification per room or conversation: a newer one replaces it.
    tag: note.tag || 'veza',
    renotify: true,
    icon: '{{ASSETS}}/icon.svg',
    data: { url: note.url || '/', message_id: note.message_id },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = sameOrigin(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
    if (open) {
      // The open tab goes there itself (no reload, its socket stays up).
      await open.focus();
      open.postMessage({ type: 'veza.open', url: new URL(url).pathname + new URL(url).search });
      return;
    }
    await self.clients.openWindow(url);
  })());
});
