// Subscribe this browser to the city's Web Push notices (the page works without it: it says so).
(function () {
  "use strict";
  const box = document.getElementById("push-settings");
  if (!box) return;
  const status = document.getElementById("push-status");
  const on = document.getElementById("push-subscribe");
  const off = document.getElementById("push-unsubscribe");
  const texts = document.getElementById("push-texts").content;
  const say = (key) => { status.textContent = texts.querySelector(`[data-key="${key}"]`).textContent; };
  const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;

  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  async function post(url, subscription) {
    const body = new URLSearchParams({ subscription: JSON.stringify(subscription) });
    const response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
    if (!response.ok) throw new Error((await response.json()).error || response.status);
  }

  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "subscribed" : "unsubscribed");
  }

  async function start() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say("unsupported"); return; }
    const registration = await navigator.serviceWorker.register(box.dataset.workerUrl);
    const existing = await registration.pushManager.getSubscription();
    show(Boolean(existing));
    on.addEventListener("click", async () => {
      try {
        if ((await Notification.requestPermission()) !== "granted") { say("denied"); return; }
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.publicKey),
        });
        await post(box.dataset.subscribeUrl, subscription.toJSON());
        show(true);
      } catch (error) { say("failed"); }
    });
    off.addEventListener("click", async () => {
      try {
        const subscription = await registration.pushManager.getSubscription();
        if (subscription) {
          await post(box.dataset.unsubscribeUrl, subscription.toJSON());
          await subscription.unsubscribe();
        }
        show(false);
      } catch (error) { say("failed"); }
    });
  }

  start().catch(() => say("failed"));
})();
