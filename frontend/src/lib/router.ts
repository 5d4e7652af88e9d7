/**
 * A very small history-API router (no hash): Django serves index.html for every non-API
 * path, so deep links like /conversations/12 load directly. Later screens (teleexpertise,
 * calls, billing, directory...) add their patterns to the table in App.tsx.
 */
import { useEffect, useState } from "preact/hooks";

type Listener = () => void;
const listeners = new Set<Listener>();

function emit(): void {
  for (const l of [...listeners]) l();
}

if (typeof window !== "undefined") window.addEventListener("popstate", emit);

export function currentPath(): string {
  return typeof location !== "undefined" ? location.pathname : "/";
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === currentPath() + (location.search || "")) return;
  if (opts.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  emit();
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const l = () => setPath(currentPath());
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return path;
}

/** Matches "/conversations/:id" style patterns; returns params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** onClick for <a href>: keeps native behaviour for new-tab clicks, routes in-app otherwise. */
export function linkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
