import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { addCalendarTypes } from '../calendar/types.ts';
import { addCustomerTypes } from '../customers/types.ts';
import { addErrorTypes } from '../errors/types.ts';
import { addImportTypes } from '../imports/types.ts';
import { addInsightTypes } from '../insights/types.ts';
import { addAuditTypes } from '../audit/types.ts';
import { addPrivacyTypes } from '../privacy/types.ts';
import { addMemberTypes } from '../members/types.ts';
import type { PluginHost } from '../plugin-host/host.ts';
import { addPluginHostTypes } from '../plugin-host/types.ts';
import { addProductTypes } from '../products/types.ts';
import { addSaleTypes } from '../sales/types.ts';
import { addSegmentTypes } from '../segments/types.ts';
import { addGuideTypes } from '../guides/types.ts';
import { addStaffTypes } from '../staff/types.ts';
import { addStockTypes } from '../stock/types.ts';
import { addStoreTypes } from '../stores/types.ts';
import { addStorefrontTypes } from '../storefront/types.ts';
import { addWebhookTypes } from '../webhooks/types.ts';
import { createBuilder } from './builder.ts';

/** Core types first, then each installed plugin's, in dependency order. */
export function buildSchema(plugins: PluginHost): GraphQLSchema {
  const builder = createBuilder();
  addErrorTypes(builder);
  addStoreTypes(builder);
  addStaffTypes(builder);
  addAuditTypes(builder);
  addPrivacyTypes(builder);
  const customers = addCustomerTypes(builder);
  const members = addMemberTypes(builder);
  addProductTypes(builder);
  addStockTypes(builder);
  addSaleTypes(builder, plugins);
  addCalendarTypes(builder);
  addSegmentTypes(builder, customers.CustomerNode);
  addGuideTypes(builder);
  addImportTypes(builder);
  addInsightTypes(builder);
  addPluginHostTypes(builder);
  addWebhookTypes(builder);
  addStorefrontTypes(builder, { ...customers, ...members });
  plugins.addSchema(builder);
  return lexicographicSortSchema(builder.toSchema());
}
