/**
 * Everything a call shows, above whatever screen is open: the ringing dialog for incoming calls
 * (on every tab of the callee), the « Appel en cours… » state, the call screen (video grid,
 * controls, duration, quality) and the end-of-call notice. Mounted once in App.tsx.
 */
import "../../styles/calls.css";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Me } from "../../api/types";
import { callManagerFor, type CallManager, type CallState } from "../../calls/manager";
import { formatDuration, QUALITY_LABEL, spokenDuration } from "../../calls/logic";
import { findPerson, personName } from "../../lib/people";
import { navigate } from "../../lib/router";
import type { ChatController } from "../../state/chat";
import { useStore } from "../../state/store";
import { Icon } from "./icons";
import { VideoTile } from "./VideoTile";

function nameOf(chat: ChatController, conversation: string | null, user: string | null): string {
  if (!user) return "Un correspondant";
  const p = conversation ? findPerson(chat.conversation(conversation), user) : undefined;
  return p ? personName(p) : "Un correspondant";
}

function isPhone(): boolean {
  return typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches;
}

function canShareScreen(): boolean {
  const md = typeof navigator !== "undefined" ? (navigator.mediaDevices as MediaDevices & { getDisplayMedia?: unknown }) : undefined;
  return !!md && typeof md.getDisplayMedia === "function" && !isPhone();
}

export function CallLayer({ chat, me }: { chat: ChatController; me: Me }) {
  const manager = callManagerFor(chat, me.id);
  const state = useStore(manager.store);
  return (
    <>
      {state.phase === "incoming" && <IncomingDialog chat={chat} manager={manager} state={state} />}
      {(state.phase === "outgoing" || state.phase === "joining" || state.phase === "active") && (
        <CallScreen chat={chat} manager={manager} state={state} />
      )}
      {state.notice && state.phase === "idle" && (
        <div class="call-notice" role="status" data-testid="call-notice">
          <span>{state.notice}</span>
          {state.writeInstead && <WriteInstead manager={manager} conversation={state.writeInstead} />}
          <button type="button" class="btn btn-ghost btn-small" onClick={() => manager.dismissNotice()}>
            OK
          </button>
        </div>
      )}
    </>
  );
}

/** The callee is not connected: go to the conversation, the composer ready to type. */
function WriteInstead({ manager, conversation }: { manager: CallManager; conversation: string }) {
  return (
    <button
      type="button"
      class="btn btn-primary btn-small"
      data-testid="call-write-instead"
      onClick={() => {
        manager.dismissNotice();
        navigate(`/conversations/${encodeURIComponent(conversation)}`);
        setTimeout(() => document.querySelector<HTMLTextAreaElement>("[data-testid=composer-input]")?.focus(), 0);
      }}
    >
      Écrire un message
    </button>
  );
}

function IncomingDialog({ chat, manager, state }: { chat: ChatController; manager: CallManager; state: CallState }) {
  const acceptRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    acceptRef.current?.focus();
    return () => previous?.focus?.();
  }, []);
  const caller = nameOf(chat, state.conversation, state.from);
  const conv = state.conversation ? chat.conversation(state.conversation) : undefined;
  return (
    <div class="call-ring-backdrop">
      <div
        class="call-ring"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="call-ring-title"
        aria-describedby="call-ring-desc"
        data-testid="call-incoming"
        onKeyDown={(e) => {
          if (e.key === "Escape") manager.decline();
        }}
      >
        <div class="call-ring-pulse" aria-hidden="true">
          <Icon name="video" size={32} />
        </div>
        <h2 id="call-ring-title">Appel vidéo entrant</h2>
        <p id="call-ring-desc">
          <strong>{caller}</strong> vous appelle
          {conv && conv.display_title !== caller ? <> — {conv.display_title}</> : null}.
        </p>
        <div class="call-ring-actions">
          <button type="button" class="btn btn-danger call-btn-lg" onClick={() => manager.decline()} data-testid="call-decline">
            Refuser
          </button>
          <button type="button" class="btn btn-success call-btn-lg" ref={acceptRef} onClick={() => void manager.accept()} data-testid="call-accept">
            Accepter
          </button>
        </div>
      </div>
    </div>
  );
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function CallScreen({ chat, manager, state }: { chat: ChatController; manager: CallManager; state: CallState }) {
  const active = state.phase === "active";
  const now = useNow(active);
  const elapsed = state.activeSince ? Math.max(0, (now - state.activeSince) / 1000) : 0;
  const rootRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    rootRef.current?.querySelector<HTMLElement>("[data-testid=call-hangup]")?.focus();
    return () => previous?.focus?.();
  }, []);
  const conv = state.conversation ? chat.conversation(state.conversation) : undefined;
  const title = conv?.display_title ?? "Appel vidéo";
  const waiting = state.phase !== "active" || !state.remotes.length;
  const status =
    state.phase === "outgoing" ? "Appel en cours…" : state.phase === "joining" ? "Connexion…" : !state.remotes.length ? "En attente des participants…" : null;
  const count = state.remotes.length;

  return (
    <div
      class="call-screen"
      role="dialog"
      aria-modal="true"
      aria-label={`Appel vidéo : ${title}`}
      data-testid="call-screen"
      data-phase={state.phase}
      ref={rootRef}
    >
      <header class="call-top">
        <div class="call-title">
          <h2>{title}</h2>
          {status ? (
            <p class="call-status" role="status" data-testid={state.phase === "outgoing" ? "call-outgoing" : "call-status"}>
              {status}
            </p>
          ) : null}
        </div>
        {active && (
          <div class="call-meta">
            <span class="call-duration" data-testid="call-duration" role="timer" aria-label={`Durée : ${spokenDuration(elapsed)}`}>
              {formatDuration(elapsed)}
            </span>
            <span class={`call-quality q-${state.quality ?? "unknown"}`} data-testid="call-quality" data-quality={state.quality ?? ""}>
              Qualité : {state.quality ? QUALITY_LABEL[state.quality] : "…"}
            </span>
          </div>
        )}
      </header>

      <div class={`call-grid n${Math.min(count, 3)}`} data-testid="call-grid">
        {state.remotes.map((r) => (
          <VideoTile
            key={r.user}
            stream={r.stream}
            muted={false}
            testId="call-remote-video"
            label={nameOf(chat, state.conversation, r.user) + (r.connection === "failed" ? " (connexion perdue)" : "")}
          />
        ))}
        {waiting && (
          <div class="call-waiting" aria-hidden="true">
            <div class="call-ring-pulse">
              <Icon name="video" size={32} />
            </div>
          </div>
        )}
      </div>

      <VideoTile stream={state.localStream} muted testId="call-local-video" label="Vous" mirror={!state.sharingScreen} className="call-self" />

      {state.mediaError && (
        <p class="call-media-error" role="alert" data-testid="call-media-error">
          {state.mediaError}
        </p>
      )}

      <div class="call-controls" role="toolbar" aria-label="Commandes de l'appel">
        <button
          type="button"
          class={`call-ctl${state.micMuted ? " off" : ""}`}
          aria-pressed={state.micMuted}
          onClick={() => manager.toggleMute()}
          disabled={!state.localStream?.getAudioTracks().length}
          data-testid="call-mute"
        >
          <Icon name={state.micMuted ? "micOff" : "mic"} />
          <span class="call-ctl-label">{state.micMuted ? "Réactiver le micro" : "Couper le micro"}</span>
        </button>
        <button
          type="button"
          class={`call-ctl${state.cameraOff ? " off" : ""}`}
          aria-pressed={state.cameraOff}
          onClick={() => manager.toggleCamera()}
          disabled={!state.localStream?.getVideoTracks().length}
          data-testid="call-camera"
        >
          <Icon name={state.cameraOff ? "camOff" : "cam"} />
          <span class="call-ctl-label">{state.cameraOff ? "Activer la caméra" : "Couper la caméra"}</span>
        </button>
        {state.canSwitchCamera && (
          <button type="button" class="call-ctl" onClick={() => void manager.switchCamera()} data-testid="call-switch-camera">
            <Icon name="switchCam" />
            <span class="call-ctl-label">Changer de caméra</span>
          </button>
        )}
        {canShareScreen() && (
          <button
            type="button"
            class={`call-ctl${state.sharingScreen ? " on" : ""}`}
            aria-pressed={state.sharingScreen}
            onClick={() => void manager.toggleScreenShare()}
            disabled={!active}
            data-testid="call-share-screen"
          >
            <Icon name="screen" />
            <span class="call-ctl-label">{state.sharingScreen ? "Arrêter le partage" : "Partager l'écran"}</span>
          </button>
        )}
        <button type="button" class="call-ctl hangup" onClick={() => manager.hangup()} data-testid="call-hangup">
          <Icon name="hangup" />
          <span class="call-ctl-label">Raccrocher</span>
        </button>
      </div>
    </div>
  );
}
