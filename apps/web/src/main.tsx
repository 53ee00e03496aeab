import '@picocss/pico/css/pico.min.css';
import './styles.css';
import { render } from 'preact';
import { AccountsScreen, AuthScreen } from './auth';
import { ChatScreen } from './chat';
import { Session } from './session';
import { useSelect } from './store';

function Notices({ session }: { session: Session }) {
  const notices = useSelect(session.store, (s) => s.notices);
  return (
    <div class="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} class={`notice ${n.kind}`} data-testid="notice">
          {n.text}
        </div>
      ))}
    </div>
  );
}

function App({ session }: { session: Session }) {
  const screen = useSelect(session.store, (s) => s.screen);
  return (
    <>
      {screen === 'auth' ? (
        <AuthScreen session={session} />
      ) : screen === 'accounts' ? (
        <AccountsScreen session={session} />
      ) : (
        <ChatScreen session={session} />
      )}
      <Notices session={session} />
    </>
  );
}

const session = new Session();
render(<App session={session} />, document.getElementById('app')!);
void session.restore();
