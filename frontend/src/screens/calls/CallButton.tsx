import "../../styles/calls.css";
import type { Id } from "../../api/types";
import { callManagerFor } from "../../calls/manager";
import type { ChatController } from "../../state/chat";
import { useStore } from "../../state/store";
import { Icon } from "./icons";

/** « Appel vidéo » in the conversation header. */
export function CallButton({ chat, meId, conversationId }: { chat: ChatController; meId: Id; conversationId: string }) {
  const manager = callManagerFor(chat, meId);
  const phase = useStore(manager.store, (s) => s.phase);
  const connection = useStore(chat.store, (s) => s.connection);
  const busy = phase !== "idle";
  return (
    <button
      type="button"
      class="btn btn-secondary call-start"
      onClick={() => void manager.start(conversationId)}
      disabled={busy || connection !== "open"}
      title={connection !== "open" ? "Connexion indisponible" : busy ? "Un appel est déjà en cours" : undefined}
      data-testid="call-start"
    >
      <Icon name="video" size={20} />
      <span class="call-start-label">Appel vidéo</span>
    </button>
  );
}
