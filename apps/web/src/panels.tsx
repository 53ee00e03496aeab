import { useEffect, useState } from 'preact/hooks';
import { Avatar } from './avatar';
import type { FoundAccount, GroupMember, Notice, Session } from './session';
import {
  shownSetting,
  useSelect,
  type AccountSettings,
  type Conversation,
  type Message,
} from './store';
import { preview } from './format';

function PanelHeader({ session, title }: { session: Session; title: string }) {
  return (
    <header class="bar">
      <button type="button" class="outline secondary back" onClick={() => session.setPanel('chat')}>
        ‹
      </button>
      <strong class="grow">{title}</strong>
    </header>
  );
}

const STATUS: Record<string, string> = { 已申请: 'pending', 已同意: 'accepted', 已拒绝: 'refused' };

/** Find accounts by name, send friend requests, answer the ones received (docs/api.md §8). */
export function FriendsPanel({ session }: { session: Session }) {
  const applications = useSelect(session.store, (s) => s.applications);
  const me = useSelect(session.store, (s) => s.accountId);
  const [name, setName] = useState('');
  const [found, setFound] = useState<FoundAccount[] | null>(null);
  const [greeting, setGreeting] = useState('Hi, let us be friends!');
  return (
    <div class="panel" data-testid="friends-panel">
      <PanelHeader session={session} title="Friends" />
      <div class="panel-body">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim())
              void session.attempt(async () => setFound(await session.findAccounts(name.trim())));
          }}
        >
          <fieldset role="group">
            <input
              type="search"
              placeholder="Find accounts by name"
              aria-label="Account name"
              data-testid="friend-search"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <button type="submit" data-testid="friend-search-submit">
              Find
            </button>
          </fieldset>
          <input
            placeholder="Message with the request"
            aria-label="Message with the request"
            maxLength={200}
            value={greeting}
            onInput={(e) => setGreeting(e.currentTarget.value)}
          />
        </form>
        {found && (
          <ul class="plain" data-testid="friend-results">
            {found.length === 0 && <li>Nobody by that name.</li>}
            {found.map((a) => (
              <li
                key={a.account_id}
                data-testid="friend-result"
                data-account-id={a.account_id}
                data-name={a.name}
              >
                <Avatar src={a.avatar} name={a.name} /> {a.name}{' '}
                {a.account_id === me ? (
                  <small>(you)</small>
                ) : a.relation_id ? (
                  <button
                    type="button"
                    class="outline"
                    onClick={() => void session.open(a.relation_id)}
                    data-testid="friend-open"
                  >
                    Chat
                  </button>
                ) : (
                  <button
                    type="button"
                    data-testid="friend-apply"
                    onClick={() =>
                      void session.attempt(async () => {
                        await session.apply(a.account_id, greeting.trim() || 'Hello');
                        await session.loadApplications();
                      })
                    }
                  >
                    Add friend
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <h4>Requests</h4>
        {applications.length === 0 && (
          <p>
            <small>No friend requests.</small>
          </p>
        )}
        <ul class="plain" data-testid="applications">
          {applications.map((a) => {
            const incoming = a.account2_id === me;
            const other = incoming ? a.account1_id : a.account2_id;
            return (
              <li
                key={`${a.account1_id}-${a.account2_id}`}
                data-testid="application"
                data-from={a.account1_id}
                data-status={STATUS[a.status] ?? a.status}
              >
                <Avatar src={a.avatar} name={a.name} /> <strong>{a.name}</strong>{' '}
                <small>
                  {incoming ? 'wants to be your friend' : 'was asked by you'} ·{' '}
                  {STATUS[a.status] ?? a.status}
                </small>
                <blockquote>{a.apply_msg}</blockquote>
                {a.refuse_msg && <small>Answer: {a.refuse_msg}</small>}
                {incoming && a.status !== '已同意' && (
                  <div role="group">
                    <button
                      type="button"
                      data-testid="application-accept"
                      onClick={() => void session.attempt(() => session.accept(other))}
                    >
                      Accept
                    </button>
                    {a.status === '已申请' && (
                      <button
                        type="button"
                        class="secondary"
                        data-testid="application-refuse"
                        onClick={() =>
                          void session.attempt(() => session.refuse(other, 'No, thank you'))
                        }
                      >
                        Refuse
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

/** Create a group (docs/api.md §10). */
export function NewGroupPanel({ session }: { session: Session }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <div class="panel" data-testid="new-group-panel">
      <PanelHeader session={session} title="New group" />
      <form
        class="panel-body"
        onSubmit={(e) => {
          e.preventDefault();
          void session.attempt(async () => {
            const id = await session.createGroup(name.trim(), description.trim() || name.trim());
            await session.open(id);
          });
        }}
      >
        <input
          placeholder="Group name"
          required
          maxLength={50}
          data-testid="group-name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <input
          placeholder="Description"
          maxLength={255}
          data-testid="group-description"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <button type="submit" data-testid="group-create">
          Create group
        </button>
      </form>
    </div>
  );
}

/** Members, invitations and notices of a group (docs/api.md §10, §13). */
export function GroupPanel({ session, conv }: { session: Session; conv: Conversation }) {
  const conversations = useSelect(session.store, (s) => s.conversations);
  const me = useSelect(session.store, (s) => s.accountId);
  const [members, setMembers] = useState<GroupMember[] | null>(null);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [notice, setNotice] = useState('');
  const reload = () =>
    session.attempt(async () => {
      const [m, n] = await Promise.all([
        session.members(conv.relationId),
        session.notices(conv.relationId),
      ]);
      setMembers(m);
      setNotices(n.list);
    });
  useEffect(() => {
    void reload();
  }, [conv.relationId]);
  const inGroup = new Set((members ?? []).map((m) => m.account_id));
  const invitable = Object.values(conversations).filter(
    (c) => c.type === 'friend' && c.friendId && c.friendId !== me && !inGroup.has(c.friendId),
  );
  const leader = members?.find((m) => m.is_leader)?.account_id === me;
  return (
    <div data-testid="group-panel">
      <h5>Members</h5>
      <ul class="plain" data-testid="group-members">
        {(members ?? []).map((m) => (
          <li key={m.account_id} data-testid="group-member">
            <Avatar src={m.avatar} name={m.name} /> {m.nick_name || m.name}
            {m.is_leader && <small> (leader)</small>}
          </li>
        ))}
      </ul>
      {invitable.length > 0 && (
        <>
          <h5>Invite friends</h5>
          <ul class="plain">
            {invitable.map((c) => (
              <li key={c.relationId}>
                {c.title}{' '}
                <button
                  type="button"
                  class="outline"
                  data-testid="group-invite"
                  onClick={() =>
                    void session.attempt(async () => {
                      await session.invite(conv.relationId, [c.friendId!]);
                      await reload();
                    })
                  }
                >
                  Invite
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <h5>Notices</h5>
      <ul class="plain">
        {notices.map((n) => (
          <li key={n.id}>
            {n.msg_content} <small>{new Date(n.create_at).toLocaleString()}</small>
          </li>
        ))}
      </ul>
      {leader && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!notice.trim()) return;
            void session.attempt(async () => {
              await session.createNotice(conv.relationId, notice.trim());
              setNotice('');
              await reload();
            });
          }}
        >
          <fieldset role="group">
            <input
              placeholder="New notice"
              maxLength={1000}
              value={notice}
              onInput={(e) => setNotice(e.currentTarget.value)}
            />
            <button type="submit">Post</button>
          </fieldset>
        </form>
      )}
      {leader ? (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            if (confirm('Dissolve the group for everyone?'))
              void session.attempt(() => session.dissolveGroup(conv.relationId));
          }}
        >
          Dissolve group
        </button>
      ) : (
        <button
          type="button"
          class="secondary"
          onClick={() => void session.attempt(() => session.quitGroup(conv.relationId))}
        >
          Leave group
        </button>
      )}
    </div>
  );
}

/** Full-text search over every conversation (docs/api.md §11, `msg/list/content`). */
export function SearchPanel({ session }: { session: Session }) {
  const conversations = useSelect(session.store, (s) => s.conversations);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Message[] | null>(null);
  return (
    <div class="panel" data-testid="search-panel">
      <PanelHeader session={session} title="Search messages" />
      <div class="panel-body">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (query.trim())
              void session.attempt(async () =>
                setResults((await session.search(query.trim())).list),
              );
          }}
        >
          <fieldset role="group">
            <input
              type="search"
              placeholder="Words in a message"
              data-testid="search-input"
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
            <button type="submit" data-testid="search-submit">
              Search
            </button>
          </fieldset>
        </form>
        {results && (
          <ul class="plain" data-testid="search-results">
            {results.length === 0 && <li>Nothing found.</li>}
            {results.map((m) => (
              <li key={m.id} data-testid="search-result">
                <a
                  href="#"
                  onClick={(e) => {
                    e.preventDefault();
                    void session.open(m.relation_id);
                  }}
                >
                  <strong>{conversations[m.relation_id]?.title ?? 'conversation'}</strong>
                </a>
                : {preview(m)}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

const SETTINGS: { key: keyof AccountSettings; testId: string; label: string; help: string }[] = [
  {
    key: 'presenceHidden',
    testId: 'setting-presence-hidden',
    label: 'Hide my presence',
    help: 'Everyone else sees this account offline, with no last seen.',
  },
  {
    key: 'mentionsBreakDnd',
    testId: 'setting-mentions-break-dnd',
    label: 'Mentions break do not disturb',
    help: 'A message that mentions me notifies my devices even in a conversation set to do not disturb.',
  },
];

/**
 * This account's own settings (docs/api.md §9 presence, docs/push-notifications.md): read
 * when the panel opens, each switch saved when it changes and then showing the server's answer.
 */
export function SettingsPanel({ session }: { session: Session }) {
  const settings = useSelect(session.store, (s) => s.settings);
  return (
    <div class="panel" data-testid="settings-panel">
      <PanelHeader session={session} title="Settings" />
      <div class="panel-body">
        {settings.values ? (
          <fieldset>
            {SETTINGS.map(({ key, testId, label, help }) => {
              const busy = key in settings.saving;
              const on = shownSetting(settings, key);
              return (
                <label key={key}>
                  <input
                    type="checkbox"
                    role="switch"
                    data-testid={testId}
                    checked={on}
                    disabled={busy}
                    aria-busy={busy}
                    onChange={() => void session.attempt(() => session.saveSetting(key, !on))}
                  />
                  {label}
                  <br />
                  <small>{help}</small>
                </label>
              );
            })}
          </fieldset>
        ) : settings.loading ? (
          <p aria-busy="true">Loading…</p>
        ) : (
          <button
            type="button"
            class="outline"
            data-testid="settings-retry"
            onClick={() => void session.attempt(() => session.loadSettings())}
          >
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
