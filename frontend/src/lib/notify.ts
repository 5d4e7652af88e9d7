/**
 * Browser notifications while the tab is hidden. Privacy rule: the notification names the
 * sender only — never the message text, the conversation title or anything about a patient.
 */
import type { Message } from "../api/types";
import { personName } from "./people";

export function notificationsSupported(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

export function notificationPermission(): NotificationPermission | "unsupported" {
  return notificationsSupported() ? Notification.permission : "unsupported";
}

export async function requestNotificationPermission(): Promise<NotificationPermission | "unsupported"> {
  if (!notificationsSupported()) return "unsupported";
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

export function notificationTitle(message: Pick<Message, "sender">): string {
  return `Nouveau message de ${personName(message.sender)}`;
}

export function notifyIncoming(message: Message, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  if (document.visibilityState !== "hidden") return;
  try {
    const n = new Notification(notificationTitle(message), {
      tag: `conversation-${message.conversation}`,
      icon: "/static/icons/icon-192.png",
      silent: false,
    });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some mobile browsers only allow notifications from a service worker */
  }
}
