/** File upload with progress (XMLHttpRequest: fetch has no upload progress events). */
import { ApiError, http, NETWORK_ERROR_MESSAGE, parseApiError, type HttpClient } from "./http";
import type { Attachment } from "./types";

export interface UploadHandle {
  promise: Promise<Attachment>;
  abort: () => void;
}

export function uploadAttachment(
  file: File,
  onProgress: (fraction: number) => void,
  client: HttpClient = http,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = client.csrf().then(
    (token) =>
      new Promise<Attachment>((resolve, reject) => {
        xhr.open("POST", "/api/attachments");
        xhr.withCredentials = true;
        xhr.setRequestHeader("X-CSRFToken", token);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
        };
        xhr.onload = () => {
          if (xhr.status >= 200 && xhr.status < 300) {
            onProgress(1);
            try {
              resolve(JSON.parse(xhr.responseText) as Attachment);
            } catch {
              reject(new ApiError(xhr.status, "invalid_response", "Réponse du serveur illisible."));
            }
          } else {
            const err = parseApiError(xhr.status, xhr.responseText);
            if (xhr.status === 401) client.onUnauthorized?.(err);
            reject(err);
          }
        };
        xhr.onerror = () => reject(new ApiError(0, "network_error", NETWORK_ERROR_MESSAGE));
        xhr.onabort = () => reject(new ApiError(0, "aborted", "Envoi du fichier annulé."));
        const form = new FormData();
        form.append("file", file, file.name);
        xhr.send(form);
      }),
  );
  return { promise, abort: () => xhr.abort() };
}
