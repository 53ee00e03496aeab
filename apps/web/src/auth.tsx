import { useState } from 'preact/hooks';
import { Avatar } from './avatar';
import type { Session } from './session';
import { useSelect } from './store';

const GENDERS = [
  { value: '未知', label: 'Not said' },
  { value: '女', label: 'Female' },
  { value: '男', label: 'Male' },
];

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sign up with an emailed code (docs/api.md §5–6), or log in. */
export function AuthScreen({ session }: { session: Session }) {
  const devMailbox = useSelect(session.store, (s) => s.devMailbox);
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="container auth" data-testid="auth-screen">
      <article>
        <header>
          <h1>Chat</h1>
          <nav role="group">
            <button
              type="button"
              class={mode === 'login' ? '' : 'outline'}
              data-testid="tab-login"
              onClick={() => setMode('login')}
            >
              Log in
            </button>
            <button
              type="button"
              class={mode === 'signup' ? '' : 'outline'}
              data-testid="tab-signup"
              onClick={() => setMode('signup')}
            >
              Sign up
            </button>
          </nav>
        </header>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() =>
              mode === 'login'
                ? session.logIn(email.trim(), password)
                : session.signUp(email.trim(), password, code.trim()),
            );
          }}
        >
          <label>
            Email
            <input
              type="email"
              required
              autocomplete="email"
              data-testid="auth-email"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          {mode === 'signup' && (
            <>
              <fieldset role="group">
                <input
                  inputMode="numeric"
                  placeholder="Verification code"
                  aria-label="Verification code"
                  pattern="[0-9]{4,10}"
                  required
                  data-testid="auth-code"
                  value={code}
                  onInput={(e) => setCode(e.currentTarget.value)}
                />
                <button
                  type="button"
                  class="secondary"
                  disabled={busy || !email}
                  data-testid="send-code"
                  onClick={() =>
                    void run(async () => {
                      await session.sendCode(email.trim());
                      setInfo(`A code was sent to ${email.trim()}.`);
                    })
                  }
                >
                  Send code
                </button>
              </fieldset>
              {info && <small data-testid="auth-info">{info}</small>}
              {devMailbox && (
                <small>
                  {' '}
                  No mail server is configured: read the code in the{' '}
                  <a
                    href={`/dev/mailbox?to=${encodeURIComponent(email.trim())}`}
                    target="_blank"
                    rel="noopener"
                    data-testid="dev-mailbox-link"
                  >
                    dev mailbox
                  </a>
                  .
                </small>
              )}
            </>
          )}
          <label>
            Password
            <input
              type="password"
              required
              minLength={6}
              maxLength={32}
              autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
              data-testid="auth-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p class="error" role="alert" data-testid="auth-error">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy} disabled={busy} data-testid="auth-submit">
            {mode === 'login' ? 'Log in' : 'Create user'}
          </button>
        </form>
      </article>
    </main>
  );
}

/** The user's accounts: pick one, or create one (docs/api.md §7). */
export function AccountsScreen({ session }: { session: Session }) {
  const accounts = useSelect(session.store, (s) => s.accounts);
  const email = useSelect(session.store, (s) => s.email);
  const current = useSelect(session.store, (s) => s.accountId);
  const [name, setName] = useState('');
  const [gender, setGender] = useState('未知');
  const [signature, setSignature] = useState('Hello!');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  return (
    <main class="container auth" data-testid="accounts-screen">
      <article>
        <header>
          <h2>Accounts</h2>
          <small>
            Signed in as {email} ·{' '}
            <a
              href="#"
              data-testid="logout"
              onClick={(e) => (e.preventDefault(), void session.logOut())}
            >
              log out
            </a>
          </small>
        </header>
        {accounts.length === 0 ? (
          <p>No account yet: create the first one.</p>
        ) : (
          <ul class="account-list" data-testid="account-list">
            {accounts.map((a) => (
              <li key={a.account_id}>
                <button
                  type="button"
                  class={a.account_id === current ? '' : 'outline'}
                  data-testid="account-item"
                  data-account-id={a.account_id}
                  data-account-name={a.name}
                  onClick={() => void session.attempt(() => session.useAccount(a.account_id))}
                >
                  <Avatar src={a.avatar} name={a.name} />
                  {a.name}
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            setError('');
            session
              .createAccount(name.trim(), gender, signature.trim() || 'Hello!')
              .catch((err: unknown) => setError(message(err)))
              .finally(() => setBusy(false));
          }}
        >
          <h3>New account</h3>
          <fieldset role="group">
            <input
              placeholder="Account name"
              aria-label="Account name"
              required
              maxLength={32}
              data-testid="account-name"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <select
              aria-label="Gender"
              value={gender}
              onChange={(e) => setGender(e.currentTarget.value)}
            >
              {GENDERS.map((g) => (
                <option key={g.value} value={g.value}>
                  {g.label}
                </option>
              ))}
            </select>
          </fieldset>
          <input
            placeholder="Signature"
            aria-label="Signature"
            maxLength={100}
            value={signature}
            onInput={(e) => setSignature(e.currentTarget.value)}
          />
          {error && (
            <p class="error" role="alert" data-testid="account-error">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy} disabled={busy} data-testid="account-create">
            Create account
          </button>
        </form>
      </article>
    </main>
  );
}
