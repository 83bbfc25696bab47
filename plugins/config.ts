import type { StorePlugin } from '../src/plugin-host/host.ts';
import { automationPlugin } from './automation/index.ts';
import { campaignsPlugin } from './campaigns/index.ts';
import { pointsPlugin } from './points/index.ts';
import { rfmPlugin } from './rfm/index.ts';
import { ticketingPlugin } from './ticketing/index.ts';
import { tiersPlugin } from './tiers/index.ts';

/**
 * The plugins this deployment installs, each with its options. Order does not matter:
 * `dependsOn` decides it. Removing a plugin here removes its GraphQL surface and hooks;
 * its tables stay as they are. Another file can be used with STORE_CONFIG=path/to/config.ts.
 */
const plugins: StorePlugin[] = [
  pointsPlugin({
    redemption: { pointsPerYuan: 100, maxShareOfSale: 0.5 }, // 100 分抵 1 元，最多抵扣 50%
    pendingDays: 0,
    expiryMonths: 12,
    excludedCategories: ['礼品'],
  }),
  tiersPlugin({ windowMonths: 12, reviewMonths: 12, graceDays: 30 }),
  rfmPlugin({ windowMonths: 12, highScore: 'average' }), // RFM 客户价值分层，每日评分
  automationPlugin(), // 营销自动化：生日关怀、流失召回…（docs/plugins/automation.md）
  ticketingPlugin({ reopenDays: 7, surveyValidDays: 7 }), // 客户服务：工单、回访、预约（docs/plugins/ticketing.md）
  campaignsPlugin(), // 营销活动：满减、折扣、第二件半价、优惠券、效果与模拟
];

export default plugins;
