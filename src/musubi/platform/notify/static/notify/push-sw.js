// Service worker: show the city's notices that arrive by Web Push; a click opens the notice.
self.addEventListener("push", (event) => {
  const notice = event.data ? event.data.json() : {};
  event.waitUntil(self.registration.showNotification(notice.title || "", {
    body: notice.body || "", tag: notice.tag, data: { url: notice.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
