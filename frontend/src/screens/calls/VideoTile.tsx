import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A <video> bound to a MediaStream. Remote tiles try to play with sound; if the browser's
 * autoplay policy refuses, they play muted and offer a button to turn the sound on.
 */
export function VideoTile({
  stream,
  muted,
  testId,
  label,
  mirror,
  className,
}: {
  stream: MediaStream | null;
  muted: boolean;
  testId: string;
  label: string;
  mirror?: boolean;
  className?: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  const [blocked, setBlocked] = useState(false);

  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== stream) v.srcObject = stream;
    if (!stream) return;
    v.muted = muted;
    const p = v.play?.();
    if (p && typeof p.catch === "function") {
      p.catch(() => {
        if (muted) return;
        v.muted = true;
        setBlocked(true);
        void v.play().catch(() => undefined);
      });
    }
  }, [stream, muted]);

  return (
    <div class={`call-tile${className ? ` ${className}` : ""}`}>
      <video
        ref={ref}
        autoplay
        playsInline
        muted={muted}
        class={mirror ? "call-video mirror" : "call-video"}
        data-testid={testId}
        aria-label={label}
      />
      <span class="call-tile-label">{label}</span>
      {blocked && (
        <button
          type="button"
          class="btn btn-secondary call-unmute"
          onClick={() => {
            const v = ref.current;
            if (v) {
              v.muted = false;
              void v.play().catch(() => undefined);
            }
            setBlocked(false);
          }}
        >
          Activer le son
        </button>
      )}
    </div>
  );
}
