// The live dashboard: today's figures from `insights`, then every sale as it is committed from
// the `saleRecorded` subscription over graphql-ws. Plain ES module; window.graphqlWs comes from
// graphql-ws's browser build (index.html).
const $ = (id) => document.getElementById(id);
const fen = (money) => Math.round(Number(money) * 100);
const yuan = (f) => `¥${(f / 100).toFixed(2)}`;
const dateIn = (timeZone, at = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
const hourIn = (timeZone, at) =>
  Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(at));

const state = {
  stores: [], // { id, code, name, timezone, revenue (fen), sales }
  hours: Array.from({ length: 24 }, () => ({ revenue: 0, sales: 0 })),
  timezone: 'Asia/Shanghai',
  today: '',
};

async function api(session, query, variables = {}) {
  const response = await fetch(session.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const TODAY = `query DashboardToday($from: Date!, $to: Date!) {
  insights(from: $from, to: $to) {
    kpis { current { stores { storeId revenue saleCount } } }
    salesHeatMap { hour revenue saleCount }
  }
}`;

async function loadToday(session) {
  const { stores } = await api(session, '{ stores { id code name timezone } }');
  state.timezone = stores[0]?.timezone ?? state.timezone;
  state.today = dateIn(state.timezone);
  const { insights } = await api(session, TODAY, { from: state.today, to: state.today });
  const figures = new Map(insights.kpis.current.stores.map((s) => [s.storeId, s]));
  state.stores = stores.map((s) => ({
    ...s,
    revenue: fen(figures.get(s.id)?.revenue ?? '0'),
    sales: figures.get(s.id)?.saleCount ?? 0,
  }));
  for (const cell of insights.salesHeatMap) {
    state.hours[cell.hour].revenue += fen(cell.revenue);
    state.hours[cell.hour].sales += cell.saleCount;
  }
}

/** A sale from the subscription: into the ticker, and into today's figures when it is today's. */
function addSale(sale) {
  const li = document.createElement('li');
  li.className = 'new';
  const at = new Date(sale.occurredAt);
  const lines = sale.lines.map((l) => `${l.sku}×${l.quantity}`).join(' ');
  li.textContent = `${at.toLocaleTimeString('zh-CN', { timeZone: sale.store.timezone })} ${sale.store.name} ${yuan(
    fen(sale.total),
  )} ${lines}`;
  li.dataset.saleId = sale.id;
  $('ticker').prepend(li);
  while ($('ticker').children.length > 30) $('ticker').lastElementChild.remove();

  const store = state.stores.find((s) => s.code === sale.store.code);
  if (store && sale.businessDate === dateIn(sale.store.timezone)) {
    store.revenue += fen(sale.total);
    store.sales += 1;
    const hour = state.hours[hourIn(sale.store.timezone, at)];
    hour.revenue += fen(sale.total);
    hour.sales += 1;
  }
  render();
}

function render() {
  const total = state.stores.reduce((sum, s) => sum + s.revenue, 0);
  $('revenue-total').textContent = yuan(total);
  $('sales-total').textContent = String(state.stores.reduce((sum, s) => sum + s.sales, 0));
  $('business-date').textContent = state.today;
  const body = $('stores').tBodies[0];
  body.replaceChildren(
    ...state.stores.map((s) => {
      const row = document.createElement('tr');
      row.dataset.store = s.code;
      for (const [text, cls] of [
        [s.name, ''],
        [yuan(s.revenue), 'num revenue'],
        [String(s.sales), 'num'],
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        cell.className = cls;
        row.append(cell);
      }
      return row;
    }),
  );
  renderChart();
}

/** Revenue per hour as an inline SVG bar chart; the current hour highlighted. */
function renderChart() {
  const width = 720;
  const height = 220;
  const top = 16;
  const bottom = 20;
  const max = Math.max(1, ...state.hours.map((h) => h.revenue));
  const barWidth = width / 24;
  const now = hourIn(state.timezone, new Date());
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', '分时销售额');
  state.hours.forEach((h, hour) => {
    const barHeight = ((height - top - bottom) * h.revenue) / max;
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', String(hour * barWidth + 2));
    rect.setAttribute('y', String(height - bottom - barHeight));
    rect.setAttribute('width', String(barWidth - 4));
    rect.setAttribute('height', String(barHeight));
    rect.dataset.hour = String(hour);
    rect.dataset.sales = String(h.sales);
    if (hour === now) rect.setAttribute('class', 'now');
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${hour}:00–${hour + 1}:00 ${yuan(h.revenue)}，${h.sales} 笔`;
    rect.append(title);
    svg.append(rect);
    if (hour % 3 === 0) {
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', String(hour * barWidth + 2));
      label.setAttribute('y', String(height - 6));
      label.textContent = `${hour}时`;
      svg.append(label);
    }
  });
  $('chart').replaceChildren(svg);
}

async function start() {
  const session = await (await fetch('/api/session')).json();
  if (!session.token) throw new Error(session.message);
  const client = window.graphqlWs.createClient({
    url: session.endpoint.replace(/^http/, 'ws'),
    connectionParams: { authorization: `Bearer ${session.token}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
  });
  client.on('connected', () => {
    $('status').textContent = '实时';
    $('status').className = 'status live';
  });
  client.on('closed', () => {
    $('status').textContent = '重连中…';
    $('status').className = 'status';
  });
  // Subscribe first and hold what arrives until today's figures are in, so no sale falls between
  // the two (one committed while the figures are read may then be counted twice: a demo's
  // shortcut; a real dashboard reloads the figures now and then).
  const held = [];
  let loaded = false;
  const query = await (await fetch('/operations/live-sales.graphql')).text();
  client.subscribe(
    { query, variables: {} },
    {
      next: ({ data }) => (loaded ? addSale(data.saleRecorded) : held.push(data.saleRecorded)),
      error: (error) => console.error(error),
      complete: () => {},
    },
  );
  await loadToday(session);
  loaded = true;
  render();
  for (const sale of held) addSale(sale);
}

start().catch((error) => {
  $('status').textContent = `出错：${error.message}`;
});
