import { useState } from 'preact/hooks';

/** The server's placeholder for accounts and groups without a picture (`Rule.DefaultAvatarURL`). */
const PLACEHOLDER = /\/default-avatar\.png$/;

/** An avatar image, or the name's first letter when there is none or it does not load. */
export function Avatar({ src, name }: { src?: string; name: string }) {
  const [failed, setFailed] = useState(false);
  if (!src || failed || PLACEHOLDER.test(src)) {
    return (
      <span class="avatar letter" aria-hidden="true">
        {(name.trim()[0] ?? '?').toUpperCase()}
      </span>
    );
  }
  return <img class="avatar" src={src} alt="" onError={() => setFailed(true)} />;
}
