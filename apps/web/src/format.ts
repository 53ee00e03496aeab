import type { Message } from './store';

export const IMAGE_URL = /\.(png|jpe?g|gif|webp)(\?|$)/i;

export function time(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/** What a message says in one line (list previews, reply quotes). */
export function preview(
  m: Pick<Message, 'msg_type' | 'msg_content' | 'is_revoke' | 'notify_type'>,
): string {
  if (m.is_revoke) return 'Message revoked';
  if (m.msg_type === 'file') return IMAGE_URL.test(m.msg_content) ? '[image]' : '[file]';
  if (m.notify_type === 'system') return systemText(m.msg_content);
  return m.msg_content;
}

/** The server's fixed system texts (docs/api.md §3.1), in English. */
function systemText(text: string): string {
  if (text === '成为好友') return 'You are now friends';
  const top = /^(\d+)置顶了一条消息$/.exec(text);
  if (top) return `Account ${top[1]} set the top message`;
  const untop = /^(\d+)移除了置顶内容$/.exec(text);
  if (untop) return `Account ${untop[1]} removed the top message`;
  return text;
}
