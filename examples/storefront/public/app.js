// The member page: asks its merchant backend for a customer token, then reads `myAccount` from the
// store-crm API with it. Plain ES module, no framework, no build step.
const state = { token: sessionStorage.getItem('token'), endpoint: sessionStorage.getItem('endpoint') };
const $ = (id) => document.getElementById(id);

const POINTS_KINDS = {
  OPENING: '期初积分',
  EARN: '消费积分',
  REDEEM: '积分抵现',
  ADJUST: '调整',
  EXPIRE: '过期',
  REVERSE: '退货扣回',
};
const yuan = (amount) => `¥${amount}`;
const day = (iso) => new Date(iso).toLocaleDateString('zh-CN');
const time = (iso) => new Date(iso).toLocaleString('zh-CN', { dateStyle: 'short', timeStyle: 'short' });

/** An element with text (never HTML: what the API returns is data, not markup). */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function api(query, variables = {}) {
  const response = await fetch(state.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    const error = new Error(body.errors.map((e) => e.message).join('; '));
    error.code = body.errors[0].extensions?.code;
    throw error;
  }
  return body.data;
}

async function signIn(phone) {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message);
  state.token = body.token;
  state.endpoint = body.endpoint;
  sessionStorage.setItem('token', body.token);
  sessionStorage.setItem('endpoint', body.endpoint);
}

function signOut() {
  state.token = null;
  sessionStorage.clear();
  $('account').hidden = true;
  $('sign-in').hidden = false;
}

function render(account) {
  $('member-name').textContent = account.name;
  const card = account.memberCard;
  $('member-code').textContent = card ? card.code : '尚未入会';
  if (card) $('member-qr').src = `/api/qr.svg?text=${encodeURIComponent(card.qrPayload)}`;
  $('member-qr').hidden = !card;

  $('points-balance').textContent = String(account.points?.balance ?? 0);
  $('points-cash').textContent = account.points?.cashValue ?? '0.00';
  $('points-pending').textContent = account.points?.pending ? `，待生效 ${account.points.pending} 分` : '';
  const history = $('points-history');
  history.replaceChildren();
  for (const { node } of account.pointsHistory.edges) {
    const li = el('li');
    li.append(
      el('span', `${day(node.createdAt)} ${POINTS_KINDS[node.kind] ?? node.kind} `),
      el('strong', `${node.points > 0 ? '+' : ''}${node.points}`, node.points > 0 ? 'plus' : 'minus'),
    );
    if (node.why) li.append(el('div', node.why, 'why'));
    history.append(li);
  }
  if (!account.pointsHistory.edges.length) history.append(el('li', '还没有积分记录'));

  const tier = account.tier;
  $('tier-name').textContent = tier ? `${tier.tier.name}${discountText(tier.tier.discountPercent)}` : '';
  $('tier-since').textContent = tier ? `${tier.tier.name}，自 ${day(tier.since)} 起` : '首次消费后获得等级';
  const next = tier?.progress.nextTier;
  if (next?.minSpend) {
    const share = Math.min(1, Number(tier.progress.spend) / Number(next.minSpend));
    $('tier-bar').style.width = `${Math.round(share * 100)}%`;
    const missing = Math.max(0, Number(next.minSpend) - Number(tier.progress.spend)).toFixed(2);
    $('tier-next').textContent = `近 12 个月消费 ¥${tier.progress.spend}，再消费 ¥${missing} 升级为${next.name}`;
  } else {
    $('tier-bar').style.width = tier ? '100%' : '0';
    $('tier-next').textContent = tier ? '已是最高等级' : '';
  }

  const purchases = $('purchases');
  purchases.replaceChildren();
  for (const { node } of account.purchases.edges) {
    const li = el('li');
    li.append(el('div', `${time(node.occurredAt)} ${node.storeName} ${yuan(node.total)}`));
    const lines = node.lines.map((l) => `${l.name}×${l.quantity}`).join('，');
    li.append(el('div', lines, 'why'));
    for (const offer of node.offers) li.append(el('div', `${offer.label} −${yuan(offer.amount)}`, 'why'));
    if (node.refundedTotal !== '0.00') li.append(el('div', `已退款 ${yuan(node.refundedTotal)}`, 'why'));
    purchases.append(li);
  }
  if (!account.purchases.edges.length) purchases.append(el('li', '还没有消费记录'));

  $('sign-in').hidden = true;
  $('account').hidden = false;
}

function discountText(percent) {
  const off = Number(percent);
  return off > 0 ? ` · 享 ${((100 - off) / 10).toString()} 折` : '';
}

async function showAccount() {
  // The same operation as examples/operations/my-account.graphql, served by the backend.
  const query = await (await fetch('/operations/my-account.graphql')).text();
  try {
    const { myAccount } = await api(query);
    render(myAccount);
  } catch (error) {
    // An expired token (30 minutes): sign in again.
    signOut();
    $('sign-in-error').textContent = error.message;
  }
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    await signIn($('phone').value.trim());
    await showAccount();
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
});
$('demo-member').addEventListener('click', async () => {
  const response = await fetch('/api/demo-member');
  const body = await response.json();
  if (!response.ok) $('sign-in-error').textContent = body.message;
  else $('phone').value = body.phone;
});
$('sign-out').addEventListener('click', signOut);
if (state.token) showAccount();
