// A store's monthly review from the insights API: key figures against the month before and
// last year, the busiest hour, best sellers, what to reorder, what sells together and what is bought next.
//
//   npx tsx examples/insights-report.ts            # signs in as the demo owner, last 30 days, all stores
//
// ENDPOINT (default http://localhost:4000/graphql), LOGIN and PASSWORD change what it talks to;
// DAYS the length of the period (ending yesterday).
import { print } from 'graphql';
import { ENDPOINT, main } from './endpoint.ts';
import { type StoreInsightsQuery, StoreInsightsDocument } from './generated/operations.ts';

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const days = Number(process.env.DAYS ?? 30);
const date = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Change against an earlier figure, or "—" when there was nothing to compare with. */
const change = (now: string, before: string) =>
  Number(before) ? `${Number(now) >= Number(before) ? '+' : ''}${pct(Number(now) / Number(before) - 1)}` : '—';

async function post<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'accept-language': 'zh-CN',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

await main(async () => {
  const { signIn } = await post<{ signIn: { token?: string; message?: string } }>(
    `mutation($l: String!, $p: String!) {
      signIn(login: $l, password: $p) { ... on SignInPayload { token } ... on UserError { message } } }`,
    { l: process.env.LOGIN ?? '13800000001', p: process.env.PASSWORD ?? 'demo-owner-1' },
  );
  if (!signIn.token) throw new Error(signIn.message);
  const { insights } = await post<StoreInsightsQuery>(
    print(StoreInsightsDocument),
    // A sequence reads its period and the 14 days after it, at most 45 days in all.
    { from: date(-days), to: date(-1), sequences: days + 14 <= 45 },
    signIn.token,
  );
  const { current, previousPeriod, samePeriodLastYear } = insights.kpis;
  const k = current.total;
  // Longer than a week: read from the summary the scheduled job keeps, and it says as of when.
  const asOf = current.asOf
    ? `（数据截至 ${new Date(current.asOf).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}）`
    : '（实时）';
  console.log(`${insights.from} – ${insights.to}${asOf}`);
  console.log(
    `营业额 ¥${k.revenue}（环比 ${change(k.revenue, previousPeriod.total.revenue)}，` +
      `同比 ${change(k.revenue, samePeriodLastYear.total.revenue)}）`,
  );
  console.log(
    `${k.saleCount} 笔 · 客单价 ¥${k.averageSale}（上期 ¥${previousPeriod.total.averageSale}）` +
      `· 连带率 ${k.unitsPerSale} · 退款率 ${pct(k.refundRate)}`,
  );
  console.log(
    `会员贡献 ${pct(k.memberShare)} · 30 天复购率 ${pct(k.repurchaseRate)} · ` +
      `新客 ¥${k.newCustomerRevenue} / 老客 ¥${k.returningCustomerRevenue}`,
  );
  const peak = [...insights.salesHeatMap].sort((a, b) => b.saleCount - a.saleCount)[0];
  if (peak?.saleCount)
    console.log(`高峰：${WEEKDAYS[peak.weekday]} ${peak.hour}:00–${peak.hour + 1}:00，${peak.saleCount} 笔`);
  console.log('畅销商品：');
  for (const p of insights.productRanking) {
    const margin = p.marginRate === null || p.marginRate === undefined ? '' : ` 毛利率 ${pct(p.marginRate)}`;
    console.log(`  ${p.sku} ${p.name} ×${p.units} ¥${p.revenue}${margin}`);
  }
  console.log(insights.reorderSuggestions.length ? '建议补货：' : '暂无需要补货的商品');
  for (const r of insights.reorderSuggestions) {
    const top = r.boughtByTopCustomers ? '（大客户常买）' : '';
    console.log(
      `  ${r.storeCode} ${r.sku} ${r.name}：库存 ${r.onHand}，可售 ${r.daysOfCover} 天，建议订 ${r.suggestedOrderQuantity}${top}`,
    );
  }
  for (const pair of insights.basketPairs)
    console.log(`常一起买：${pair.a.name} + ${pair.b.name}（支持度 ${pct(pair.support)}，提升度 ${pair.lift}）`);
  for (const s of insights.purchaseSequences ?? [])
    console.log(
      `先买后买：${s.bought.name} → ${s.thenBought.name}（14 天内 ${s.customers} 位顾客，占 ${pct(s.share)}）`,
    );
});
