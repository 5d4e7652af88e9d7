import { useState } from "preact/hooks";
import { notificationPermission, requestNotificationPermission } from "../lib/notify";
import { refreshPush } from "../offline/push";

function pushSupported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator && typeof PushManager !== "undefined";
}

/**
 * On a phone (the top bar has no room for « Activer les notifications »): one line above the
 * list offering Web Push, so that a locked phone is told of new messages. Hidden on wide screens
 * by CSS, once answered, or dismissed for this page.
 */
export function NotifyPrompt({ supported = pushSupported() }: { supported?: boolean }) {
  const [perm, setPerm] = useState(notificationPermission());
  const [dismissed, setDismissed] = useState(false);
  if (!supported || perm !== "default" || dismissed) return null;
  return (
    <div class="notify-prompt" role="region" aria-label="Notifications" data-testid="notify-prompt">
      <span>Être prévenu des nouveaux messages sur ce téléphone ?</span>
      <button
        type="button"
        class="btn btn-link"
        data-testid="notify-prompt-enable"
        onClick={async () => {
          const answer = await requestNotificationPermission();
          setPerm(answer);
          if (answer === "granted") void refreshPush();
        }}
      >
        Activer
      </button>
      <button type="button" class="btn btn-icon" aria-label="Plus tard" onClick={() => setDismissed(true)}>
        ×
      </button>
    </div>
  );
}
