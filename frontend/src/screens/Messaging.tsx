import { useState } from "preact/hooks";
import type { Me } from "../api/types";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { NotifyPrompt } from "../components/NotifyPrompt";
import { navigate } from "../lib/router";
import type { ChatController } from "../state/chat";
import { session } from "../state/session";
import { useStore } from "../state/store";
import { ConversationList } from "./ConversationList";
import { ConversationView } from "./ConversationView";
import { NewConversationDialog } from "./NewConversation";
import type { JumpTarget } from "./search/jump";

/**
 * Messaging: list + conversation side by side on wide screens; on phones (CSS, < 768 px)
 * one at a time, the conversation having a back button.
 */
export function MessagingScreen({ chat, me, conversationId }: { chat: ChatController; me: Me; conversationId: string | null }) {
  const [creating, setCreating] = useState(false);
  const [jump, setJump] = useState<JumpTarget | null>(null);
  const connection = useStore(chat.store, (s) => s.connection);
  const notice = useStore(chat.store, (s) => s.notice);
  // An offline start has its own banner (App): one is enough on a phone.
  const offlineStart = useStore(session, (s) => s.offline);

  return (
    <div class={`messaging ${conversationId ? "show-conversation" : "show-list"}`}>
      {!offlineStart && <ConnectionBanner status={connection} onRetry={() => chat.socket.reconnectNow()} />}
      {!conversationId && <NotifyPrompt />}
      {notice && (
        <div class="toast" role="alert" data-testid="notice">
          <span>{notice}</span>
          <button type="button" class="btn btn-icon" aria-label="Fermer" onClick={() => chat.dismissNotice()}>
            ×
          </button>
        </div>
      )}
      <div class="messaging-panes">
        <ConversationList
          chat={chat}
          meId={me.id}
          activeId={conversationId}
          onNew={() => setCreating(true)}
          onPickMessage={(hit) => {
            setJump({ conversation: hit.conversation, seq: hit.seq, nonce: Date.now() });
            navigate(`/conversations/${encodeURIComponent(String(hit.conversation))}`);
          }}
        />
        {conversationId ? (
          <ConversationView
            key={conversationId}
            chat={chat}
            meId={me.id}
            conversationId={conversationId}
            onBack={() => navigate("/")}
            jump={jump}
            onJump={setJump}
          />
        ) : (
          <section class="conv-view conv-placeholder" aria-hidden="true">
            <p>Sélectionnez une conversation ou démarrez-en une nouvelle.</p>
          </section>
        )}
      </div>
      {creating && (
        <NewConversationDialog
          meId={me.id}
          onClose={() => setCreating(false)}
          onCreate={async (data) => {
            const conv = await chat.createConversation(data);
            setCreating(false);
            navigate(`/conversations/${encodeURIComponent(String(conv.id))}`);
            return conv;
          }}
        />
      )}
    </div>
  );
}
