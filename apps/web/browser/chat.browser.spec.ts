/**
 * Two people chat in two browsers (docs/web.md): both sign up with the code from the dev
 * mailbox page, become friends, chat, reply, revoke and see each other's read receipts; a
 * third browser, the second device of one of them, follows the same conversation live. The
 * server is the real standalone server (`npm start`) on a fresh data folder; the browser is
 * the system's Chromium. Screenshots of the main screens go to tmp/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page, WebSocketRoute } from 'playwright-core';
import { launchChromium } from './testing/chromium';
import { startWebServer, type WebServer } from './testing/server';

const SHOTS = path.resolve(__dirname, '../../../tmp/screenshots');
const PASSWORD = 'secret-pass-1';
/** How long the UI may take to show what a push or a reply brings. */
const LIVE_MS = 15_000;

let server: WebServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // The browser first: without one the suite stops at once, saying how to get one.
  browser = await launchChromium();
  server = await startWebServer();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

async function newPage(viewport = { width: 1100, height: 720 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(LIVE_MS);
  return page;
}

const byTest = (page: Page | Locator, id: string) => page.locator(`[data-testid="${id}"]`);

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
}

/** Waits until `check` holds, polling; fails with `what` after the live timeout. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + LIVE_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Sign-up through the UI: the code is read from the dev mailbox page the sign-up screen links. */
async function signUp(
  page: Page,
  email: string,
  accountName: string,
  shots = false,
): Promise<void> {
  await page.goto(server.url);
  await byTest(page, 'tab-signup').click();
  await byTest(page, 'auth-email').fill(email);
  await byTest(page, 'send-code').click();
  await byTest(page, 'auth-info').waitFor();
  if (shots) await shot(page, 'sign-up');
  const [mailbox] = await Promise.all([
    page.context().waitForEvent('page'),
    byTest(page, 'dev-mailbox-link').click(),
  ]);
  let code = '';
  await eventually(`the code mailed to ${email}`, async () => {
    await mailbox.reload();
    const codes = byTest(mailbox, 'dev-mail-code');
    if ((await codes.count()) === 0) return false;
    code = (await codes.first().textContent())?.trim() ?? '';
    return /^\d{6}$/.test(code);
  });
  if (shots) await shot(mailbox, 'dev-mailbox');
  await mailbox.close();
  await byTest(page, 'auth-code').fill(code);
  await byTest(page, 'auth-password').fill(PASSWORD);
  await byTest(page, 'auth-submit').click();
  await byTest(page, 'accounts-screen').waitFor();
  await byTest(page, 'account-name').fill(accountName);
  await byTest(page, 'account-create').click();
  await byTest(page, 'chat-screen').waitFor();
  await eventually(
    'the socket to open',
    async () => (await byTest(page, 'conn-state').textContent()) === 'online',
  );
}

const conversationWith = (page: Page, title: string) =>
  page.locator(`[data-testid="conversation"][data-title="${title}"]`);

const messageWithText = (page: Page, text: string) =>
  byTest(page, 'message').filter({
    has: page.locator(`[data-testid="message-text"]`, { hasText: text }),
  });

async function send(page: Page, text: string): Promise<void> {
  await byTest(page, 'composer-input').fill(text);
  await byTest(page, 'composer-send').click();
  // Acked: the message has its server id, and no "sending…" is left.
  await messageWithText(page, text)
    .locator('[data-testid="message-status"]', { hasText: 'sent' })
    .or(messageWithText(page, text).locator('[data-testid="message-status"]', { hasText: 'read' }))
    .waitFor();
}

test('two people befriend and chat; a second device follows live', async () => {
  const stamp = Date.now().toString(36);
  const alice = await newPage();
  const bob = await newPage();
  // Bob's WebSocket goes through the test, so that it can cut it and hold him offline.
  let offline = false;
  const bobSockets: WebSocketRoute[] = [];
  await bob.routeWebSocket(/\/ws$/, (ws) => {
    if (offline) return void ws.close({ code: 1006 });
    ws.connectToServer();
    bobSockets.push(ws);
  });
  const aliceName = `alice-${stamp}`;
  const bobName = `bob-${stamp}`;
  const bobEmail = `bob-${stamp}@example.com`;

  await signUp(alice, `alice-${stamp}@example.com`, aliceName, true);
  await signUp(bob, bobEmail, bobName);

  // Alice finds Bob by name and asks; Bob sees the request arrive (the `application` push).
  await byTest(alice, 'nav-friends').click();
  await byTest(alice, 'friend-search').fill(bobName);
  await byTest(alice, 'friend-search-submit').click();
  await alice
    .locator(`[data-testid="friend-result"][data-name="${bobName}"] [data-testid="friend-apply"]`)
    .click();
  await alice.locator('[data-testid="application"][data-status="pending"]').waitFor();
  await byTest(bob, 'requests-badge').waitFor();
  await byTest(bob, 'nav-friends').click();
  await shot(bob, 'friend-request');
  await byTest(bob, 'application-accept').click();
  await bob.locator('[data-testid="application"][data-status="accepted"]').waitFor();

  // Both now list the friendship, opened by the server's "now friends" message.
  await conversationWith(alice, bobName).waitFor();
  await conversationWith(bob, aliceName).waitFor();
  await conversationWith(alice, bobName).click();
  await byTest(alice, 'conversation-view').waitFor();
  await alice.locator('[data-testid="message"]', { hasText: 'You are now friends' }).waitFor();

  // Alice writes; Bob's list shows it unread, with its text, before he opens it.
  await send(alice, 'Hello Bob!');
  await eventually("the unread count on Bob's list", async () => {
    const badge = conversationWith(bob, aliceName).locator('[data-testid="conversation-unread"]');
    return (await badge.count()) > 0 && (await badge.textContent()) === '1';
  });
  await conversationWith(bob, aliceName)
    .locator('[data-testid="conversation-last"]', { hasText: 'Hello Bob!' })
    .waitFor();
  await shot(bob, 'conversation-list');

  // Bob opens it: the message is there, and Alice sees it read (read_msg → read_ids).
  await conversationWith(bob, aliceName).click();
  await messageWithText(bob, 'Hello Bob!').waitFor();
  await messageWithText(alice, 'Hello Bob!')
    .locator('[data-testid="message-status"][data-status="read"]')
    .waitFor();
  expect(
    await conversationWith(bob, aliceName).locator('[data-testid="conversation-unread"]').count(),
  ).toBe(0);

  // Bob replies to that message; Alice sees the reply with its quote, and Bob sees it read.
  const hello = messageWithText(bob, 'Hello Bob!');
  await hello.hover();
  await hello.locator('[data-testid="message-reply"]').click();
  await byTest(bob, 'replying-to').waitFor();
  await send(bob, 'Hi Alice, good to see you');
  const reply = messageWithText(alice, 'Hi Alice, good to see you');
  await reply.waitFor();
  await reply.locator('[data-testid="reply-quote"]', { hasText: 'Hello Bob!' }).waitFor();
  await messageWithText(bob, 'Hi Alice, good to see you')
    .locator('[data-testid="message-status"][data-status="read"]')
    .waitFor();
  await shot(alice, 'chat-alice');
  await shot(bob, 'chat-bob');

  // Bob's second device, phone-sized: logs in (his one account opens by itself) and opens
  // the conversation, whose history is there.
  const phone = await newPage({ width: 390, height: 780 });
  await phone.goto(server.url);
  await byTest(phone, 'auth-email').fill(bobEmail);
  await byTest(phone, 'auth-password').fill(PASSWORD);
  await byTest(phone, 'auth-submit').click();
  await byTest(phone, 'chat-screen').waitFor();
  await eventually(
    "the phone's socket to open",
    async () => (await byTest(phone, 'conn-state').textContent()) === 'online',
  );
  // Its list has the last message and nothing unread (Bob read it on his other device).
  await conversationWith(phone, aliceName)
    .locator('[data-testid="conversation-last"]', { hasText: 'Hi Alice, good to see you' })
    .waitFor();
  expect(
    await conversationWith(phone, aliceName).locator('[data-testid="conversation-unread"]').count(),
  ).toBe(0);
  await shot(phone, 'phone-list');
  await conversationWith(phone, aliceName).click();
  await messageWithText(phone, 'Hi Alice, good to see you').waitFor();

  // Alice writes again: both of Bob's devices show it live.
  await send(alice, 'Are you both there?');
  await messageWithText(bob, 'Are you both there?').waitFor();
  await messageWithText(phone, 'Are you both there?').waitFor();

  // What Bob sends from the phone reaches Alice and his other browser.
  await send(phone, 'Yes, from my phone');
  await messageWithText(alice, 'Yes, from my phone').waitFor();
  await messageWithText(bob, 'Yes, from my phone').waitFor();
  await shot(phone, 'phone-chat');

  // Bob types on his browser: Alice sees "typing…" with his name until he clears the text.
  await byTest(bob, 'composer-input').fill('I am wri');
  await byTest(alice, 'typing').filter({ hasText: bobName }).waitFor();
  await byTest(bob, 'composer-input').fill('');
  await byTest(alice, 'typing').waitFor({ state: 'detached' });

  // Alice reacts to Bob's phone message: one 👍 on every screen, "mine" on hers only.
  const fromPhone = messageWithText(alice, 'Yes, from my phone');
  await fromPhone.hover();
  await fromPhone.locator('[data-testid="message-react"]').click();
  for (const [page, me] of [
    [alice, 'true'],
    [bob, 'false'],
    [phone, 'false'],
  ] as const) {
    await messageWithText(page, 'Yes, from my phone')
      .locator(`[data-testid="reaction"][data-emoji="👍"][data-me="${me}"]`, { hasText: '1' })
      .waitFor();
  }

  // Alice edits her first message: the new text, marked edited, on Bob's devices, and his
  // reply quotes the new text.
  const first = messageWithText(alice, 'Hello Bob!');
  await first.hover();
  alice.once('dialog', (dialog) => void dialog.accept('Hello Bob, edited!'));
  await first.locator('[data-testid="message-edit"]').click();
  for (const page of [alice, bob, phone]) {
    await messageWithText(page, 'Hello Bob, edited!')
      .locator('[data-testid="message-edited"]')
      .waitFor();
  }
  await messageWithText(bob, 'Hi Alice, good to see you')
    .locator('[data-testid="reply-quote"]', { hasText: 'Hello Bob, edited!' })
    .waitFor();

  // Alice revokes her last message: gone on all three screens.
  const last = messageWithText(alice, 'Are you both there?');
  await last.hover();
  await last.locator('[data-testid="message-revoke"]').click();
  for (const page of [alice, bob, phone]) {
    await eventually(
      'the revoke to show',
      async () => (await messageWithText(page, 'Are you both there?').count()) === 0,
    );
    await expect(
      byTest(page, 'message').filter({ hasText: 'Message revoked' }).count(),
    ).resolves.toBeGreaterThan(0);
  }

  // A reload keeps the phone signed in to the same account (any path serves the app).
  await phone.goto(`${server.url}/conversations`);
  await byTest(phone, 'chat-screen').waitFor();
  await expect(byTest(phone, 'current-account').textContent()).resolves.toBe(bobName);
  await conversationWith(phone, aliceName).click();
  await messageWithText(phone, 'Yes, from my phone').waitFor();

  // Bob's browser loses its connection; what Alice sends, edits and reacts to meanwhile
  // reaches him through the catch-up (`POST /api/msg/sync`: new messages, and `changed` for
  // those he has) once he is back.
  offline = true;
  for (const ws of bobSockets.splice(0)) await ws.close({ code: 1006 });
  await eventually(
    'Bob to be disconnected',
    async () => (await byTest(bob, 'conn-state').textContent()) !== 'online',
  );
  await send(alice, 'Sent while you were away');
  await messageWithText(phone, 'Sent while you were away').waitFor();
  const edited = messageWithText(alice, 'Hello Bob, edited!');
  await edited.hover();
  alice.once('dialog', (dialog) => void dialog.accept('Hello Bob, edited twice'));
  await edited.locator('[data-testid="message-edit"]').click();
  await messageWithText(phone, 'Hello Bob, edited twice').waitFor();
  const hi = messageWithText(alice, 'Hi Alice, good to see you');
  await hi.hover();
  await hi.locator('[data-testid="message-react"]').click();
  const hiReaction = (page: Page) =>
    messageWithText(page, 'Hi Alice, good to see you').locator(
      '[data-testid="reaction"][data-emoji="👍"][data-me="false"]',
      { hasText: '1' },
    );
  await hiReaction(phone).waitFor();
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await messageWithText(bob, 'Sent while you were away').count()).toBe(0);
  expect(await messageWithText(bob, 'Hello Bob, edited twice').count()).toBe(0);
  expect(await hiReaction(bob).count()).toBe(0);
  offline = false;
  await eventually(
    'Bob to reconnect',
    async () => (await byTest(bob, 'conn-state').textContent()) === 'online',
  );
  await messageWithText(bob, 'Sent while you were away').waitFor();
  // Waits for the server's `changed` in sync replies (docs/api.md §11).
  await messageWithText(bob, 'Hello Bob, edited twice')
    .locator('[data-testid="message-edited"]')
    .waitFor();
  await messageWithText(bob, 'Hi Alice, good to see you')
    .locator('[data-testid="reply-quote"]', { hasText: 'Hello Bob, edited twice' })
    .waitFor();
  await hiReaction(bob).waitFor();

  // An image goes as a file message (`POST /api/msg/file`) and shows on both sides.
  const picture = await alice.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 200;
    canvas.height = 120;
    const g = canvas.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, 120);
    sky.addColorStop(0, '#5aa0e6');
    sky.addColorStop(1, '#d8ecff');
    g.fillStyle = sky;
    g.fillRect(0, 0, 200, 120);
    g.fillStyle = '#3c8c46';
    g.beginPath();
    g.moveTo(0, 120);
    g.lineTo(70, 55);
    g.lineTo(120, 95);
    g.lineTo(160, 65);
    g.lineTo(200, 120);
    g.fill();
    return canvas.toDataURL('image/png').split(',')[1];
  });
  await byTest(alice, 'file-input').setInputFiles({
    name: 'hills.png',
    mimeType: 'image/png',
    buffer: Buffer.from(picture, 'base64'),
  });
  await alice.locator('[data-testid="message"][data-mine="true"] img.picture').waitFor();
  await bob.locator('[data-testid="message"] img.picture').waitFor();

  // A group: Alice creates it and invites Bob, who sees it appear and gets its messages.
  await byTest(alice, 'nav-groups').click();
  await byTest(alice, 'group-name').fill(`club-${stamp}`);
  await byTest(alice, 'group-create').click();
  await byTest(alice, 'conversation-info').click();
  await byTest(alice, 'group-invite').first().click();
  await eventually(
    'two group members',
    async () => (await byTest(alice, 'group-member').count()) === 2,
  );
  await byTest(alice, 'conversation-info').click();
  await send(alice, 'Welcome to the club');
  await conversationWith(bob, `club-${stamp}`).click();
  await messageWithText(bob, 'Welcome to the club').waitFor();
  await messageWithText(alice, 'Welcome to the club')
    .locator('[data-testid="message-status"]', { hasText: 'read by 1' })
    .waitFor();

  // Bob pins a message of the group: Alice sees it pinned (update_msg_state). Alice pins
  // the group in her list: it is marked, first in the list.
  const welcome = messageWithText(bob, 'Welcome to the club');
  await welcome.hover();
  await welcome.locator('[data-testid="message-pin"]').click();
  await messageWithText(alice, 'Welcome to the club')
    .locator('[data-testid="message-pinned"]')
    .waitFor();
  await byTest(alice, 'conversation-info').click();
  // A click, not `check()`: the switch follows the server's answer, which may come after
  // Playwright's immediate look at the box on a busy machine; the tag below is the check.
  await byTest(alice, 'setting-pin').click();
  await conversationWith(alice, `club-${stamp}`).locator('.tag', { hasText: 'pinned' }).waitFor();
  expect(await byTest(alice, 'conversation').first().getAttribute('data-title')).toBe(
    `club-${stamp}`,
  );
  await byTest(alice, 'conversation-info').click();

  // Search finds a message in any conversation (once the indexer has it).
  await byTest(bob, 'nav-search').click();
  await byTest(bob, 'search-input').fill('while you were');
  await eventually('a search result', async () => {
    await byTest(bob, 'search-submit').click();
    await byTest(bob, 'search-results').waitFor();
    return (
      (await byTest(bob, 'search-result').filter({ hasText: 'Sent while you were away' }).count()) >
      0
    );
  });
  await shot(bob, 'search');

  // Bob's own settings (the Settings panel): each switch is saved when clicked and then shows
  // the server's answer. A switch is waited for checked or not *and* enabled: disabled means a
  // save still runs. Clicks, not `check()`, which looks at the box before the answer is in.
  const setting = (page: Page, id: string, on: boolean) =>
    page.locator(`[data-testid="${id}"]${on ? ':checked' : ':not(:checked)'}:enabled`);
  await byTest(bob, 'nav-settings').click();
  // Before he chooses: visible, and mentions break do-not-disturb (the server's default).
  await setting(bob, 'setting-presence-hidden', false).waitFor();
  await setting(bob, 'setting-mentions-break-dnd', true).waitFor();
  // A save the server refuses shows its error and leaves the switch as stored: this once the
  // request goes with a body it rejects (1001).
  await bob.route(
    '**/api/setting/presence',
    (route) => route.continue({ postData: JSON.stringify({ hidden: 'yes' }) }),
    { times: 1 },
  );
  await byTest(bob, 'setting-presence-hidden').click();
  await byTest(bob, 'notice').filter({ hasText: 'true or false' }).waitFor();
  await setting(bob, 'setting-presence-hidden', false).waitFor();
  await byTest(bob, 'setting-presence-hidden').click();
  await setting(bob, 'setting-presence-hidden', true).waitFor();
  await byTest(bob, 'setting-mentions-break-dnd').click();
  await setting(bob, 'setting-mentions-break-dnd', false).waitFor();
  await shot(bob, 'settings');
  // Both are stored: his phone and his browser, reloaded, read them back from the server.
  for (const page of [phone, bob]) {
    await page.reload();
    await byTest(page, 'chat-screen').waitFor();
    await byTest(page, 'nav-settings').click();
    await setting(page, 'setting-presence-hidden', true).waitFor();
    await setting(page, 'setting-mentions-break-dnd', false).waitFor();
  }

  // A second account of Alice's user: created, used, and switched back from.
  await byTest(alice, 'switch-account').click();
  await byTest(alice, 'account-name').fill(`${aliceName}-work`);
  await byTest(alice, 'account-create').click();
  await eventually(
    'the new account',
    async () => (await byTest(alice, 'current-account').textContent()) === `${aliceName}-work`,
  );
  expect(await conversationWith(alice, bobName).count()).toBe(0);
  await byTest(alice, 'switch-account').click();
  await shot(alice, 'accounts');
  await alice.locator(`[data-testid="account-item"][data-account-name="${aliceName}"]`).click();
  await conversationWith(alice, bobName).click();
  await messageWithText(alice, 'Hi Alice, good to see you').waitFor();

  // Back on the first account, its list has each conversation's last message again.
  await conversationWith(alice, `club-${stamp}`)
    .locator('[data-testid="conversation-last"]', { hasText: 'Welcome to the club' })
    .waitFor();

  // The main screen as the README shows it.
  await alice.setViewportSize({ width: 1000, height: 760 });
  await alice.mouse.move(175, 600);
  await shot(alice, 'web-chat');
});
