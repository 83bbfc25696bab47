import type { Locale } from './locale.ts';

type Params = Record<string, string | number>;
type Message = { 'zh-CN': string; en: string };

/**
 * Every sentence a person may read from the API, keyed by a stable code.
 * Placeholders are written {name} and filled from the error's params.
 */
export const messages = {
  // input
  INVALID_INPUT: { 'zh-CN': '输入有误：{detail}', en: 'Invalid input: {detail}' },
  INVALID_PHONE: {
    'zh-CN': '手机号格式不正确，应为 11 位中国大陆手机号',
    en: 'Phone number must be an 11-digit mainland China mobile number',
  },
  INVALID_ID: { 'zh-CN': '编号格式不正确：{id}', en: 'Not a valid id: {id}' },
  INVALID_CURSOR: {
    'zh-CN': '分页游标无效（游标只能用于发出它的同一查询）：{cursor}',
    en: 'Not a valid cursor (a cursor only works with the query that gave it out): {cursor}',
  },
  NOT_FOUND: { 'zh-CN': '找不到{entity}：{key}', en: '{entity} not found: {key}' },
  DUPLICATE_PHONE: {
    'zh-CN': '手机号 {phone} 已被其他顾客使用',
    en: 'Phone {phone} already belongs to another customer',
  },
  DUPLICATE_IDENTITY: {
    'zh-CN': '该{channel}账号 {externalId} 已绑定其他顾客',
    en: 'The {channel} account {externalId} already belongs to another customer',
  },
  DUPLICATE_CODE: { 'zh-CN': '{entity}编码 {code} 已存在', en: '{entity} code {code} already exists' },
  ALREADY_MEMBER: { 'zh-CN': '该顾客已是会员（会员号 {code}）', en: 'This customer is already a member ({code})' },
  MERGE_SAME_CUSTOMER: { 'zh-CN': '不能将顾客与自身合并', en: 'A customer cannot be merged into itself' },
  CUSTOMER_MERGED: {
    'zh-CN': '该顾客已合并到其他顾客，请使用合并后的顾客',
    en: 'This customer was merged into another; use the surviving customer',
  },
  // privileges, personal data and PIPL requests (docs/security.md)
  CUSTOMER_ERASED: {
    'zh-CN': '该顾客的个人信息已应本人要求删除，档案不能再修改或使用',
    en: "This customer's personal data was erased on request; the record can no longer be changed or used",
  },
  PRICE_OVERRIDE_NOT_ALLOWED: {
    'zh-CN': '第 {line} 行：您无权改价或打折，请按商品售价 {price} 销售',
    en: 'Line {line}: you may not change the price or give a discount; sell at the catalogue price {price}',
  },
  DISCOUNT_LIMIT_EXCEEDED: {
    'zh-CN': '第 {line} 行：让利 {percent}% 超过您可给的上限 {max}%，请由店长操作',
    en: 'Line {line}: a reduction of {percent}% is more than your limit of {max}%; ask a manager',
  },
  POINTS_ADJUST_LIMIT: {
    'zh-CN': '单次积分调整最多 {max} 分（您的角色上限）',
    en: 'One points adjustment is at most {max} points for your role',
  },
  // bounds on every input (src/schema/input-limits.ts)
  INPUT_TOO_LONG: { 'zh-CN': '{field} 过长：最多 {max} 个字符', en: '{field} is too long: at most {max} characters' },
  INPUT_HAS_NUL: {
    'zh-CN': '{field} 含有不允许的空字符（\\u0000）',
    en: '{field} contains a NUL character (\\u0000), which is not allowed',
  },
  INPUT_TOO_MANY_ITEMS: { 'zh-CN': '{field} 项目过多：最多 {max} 项', en: '{field} has too many items: at most {max}' },
  VALUE_OUT_OF_RANGE: {
    'zh-CN': '输入的数值或内容超出可保存的范围，未保存任何数据',
    en: 'A value is outside the range that can be stored; nothing was saved',
  },
  // sales
  EXTERNAL_ID_CONFLICT: {
    'zh-CN': '单号 {externalId} 已用于另一笔内容不同的销售（{saleId}），本次未记录；新的销售请使用新的单号',
    en:
      'The id {externalId} was already used for a different sale ({saleId}); nothing was recorded. Use a new id ' +
      'for a new sale',
  },
  REFUND_ID_CONFLICT: {
    'zh-CN': '退货单号 {externalId} 已用于这笔销售的另一笔内容不同的退货，本次未退货；新的退货请使用新的单号',
    en:
      'The refund id {externalId} was already used for a different refund of this sale; nothing was refunded. Use ' +
      'a new id for a new refund',
  },
  UNKNOWN_SKU: { 'zh-CN': '未知商品编码：{sku}', en: 'Unknown SKU: {sku}' },
  PRODUCT_INACTIVE: { 'zh-CN': '商品已停售：{sku}', en: 'Product is no longer sold: {sku}' },
  INSUFFICIENT_STOCK: {
    'zh-CN': '{sku} 库存不足：需要 {requested}，可用 {available}',
    en: 'Not enough stock of {sku}: requested {requested}, available {available}',
  },
  PAYMENT_MISMATCH: {
    'zh-CN': '付款合计 {paid} 与应付金额 {total} 不一致',
    en: 'Payments add up to {paid} but the sale total is {total}',
  },
  DISCOUNT_TOO_LARGE: {
    'zh-CN': '第 {line} 行的折扣超过该行金额',
    en: 'The discount on line {line} is larger than the line amount',
  },
  TENDER_NOT_ACCEPTED: {
    'zh-CN': '不支持该付款方式：{method}（未安装处理它的插件）',
    en: 'Payment method {method} is not accepted (no installed plugin handles it)',
  },
  SALE_ALREADY_REFUNDED: { 'zh-CN': '该销售单已全额退款', en: 'This sale has already been refunded in full' },
  REFUND_EXCEEDS_SOLD: {
    'zh-CN': '第 {line} 行最多可退 {available} 件，申请退 {requested} 件',
    en: 'Line {line} can refund at most {available}, requested {requested}',
  },
  // stock
  SAME_STORE_TRANSFER: { 'zh-CN': '调出门店与调入门店不能相同', en: 'A transfer needs two different stores' },
  STOCKTAKE_NOT_OPEN: { 'zh-CN': '盘点单已{status}，不能再修改', en: 'The stocktake is already {status}' },
  // customer import (POST /imports/customers.csv): each problem names its row and column
  IMPORT_INVALID_NAME: { 'zh-CN': '姓名应为 1–60 个字符', en: 'Name must be 1–60 characters' },
  IMPORT_INVALID_EMAIL: { 'zh-CN': '邮箱格式不正确：{value}', en: 'Not a valid e-mail address: {value}' },
  IMPORT_INVALID_GENDER: {
    'zh-CN': '无法识别的性别：{value}（可填 男、女 或 未知）',
    en: 'Unknown gender: {value} (use male, female or unknown)',
  },
  IMPORT_INVALID_DATE: {
    'zh-CN': '无法识别的日期：{value}（可填 2024-05-01、2024/5/1、2024年5月1日，可带时间 14:30）',
    en: 'Not a date: {value} (use 2024-05-01, 2024/5/1 or 2024-05-01 14:30)',
  },
  IMPORT_DATE_IN_FUTURE: { 'zh-CN': '日期晚于今天：{value}', en: 'Date is in the future: {value}' },
  IMPORT_PURCHASE_DATES: {
    'zh-CN': '首次消费（{first}）晚于最近消费（{last}）',
    en: 'First purchase ({first}) is after the last purchase ({last})',
  },
  IMPORT_INVALID_CHANNEL: {
    'zh-CN': '无法识别的来源渠道：{value}（可填 门店、微信、小程序、电商、官网 或 导入）',
    en: 'Unknown source channel: {value} (use STORE, WECHAT, MINI_PROGRAM, ECOMMERCE, WEB or IMPORT)',
  },
  IMPORT_INVALID_COUNT: { 'zh-CN': '应为不小于 0 的整数：{value}', en: 'Must be a whole number of 0 or more: {value}' },
  IMPORT_INVALID_AMOUNT: {
    'zh-CN': '金额格式不正确：{value}（不小于 0，最多两位小数）',
    en: 'Not a valid amount: {value} (0 or more, at most two decimals)',
  },
  IMPORT_INVALID_CONSENT: {
    'zh-CN': '无法识别的授权：{value}（可填 是/否、Y/N、同意/不同意）',
    en: 'Unknown consent: {value} (use Y/N, yes/no or true/false)',
  },
  IMPORT_INVALID_MEMBER_CODE: {
    'zh-CN': '会员卡号格式不正确：{value}（4–32 位字母、数字或 -）',
    en: 'Not a valid member code: {value} (4–32 letters, digits or -)',
  },
  IMPORT_UNKNOWN_STORE: {
    'zh-CN': '找不到门店：{value}（填门店编码或门店名称）',
    en: 'No store with code or name {value}',
  },
  IMPORT_TOO_LONG: { 'zh-CN': '内容过长：最多 {max} 个字符', en: 'Too long: at most {max} characters' },
  IMPORT_NO_KEY: {
    'zh-CN': '该行没有手机号，也没有会员卡号，无法识别是哪位顾客',
    en: 'The row has neither a phone number nor a member code to identify the customer',
  },
  IMPORT_NAME_REQUIRED: { 'zh-CN': '新顾客需要填写姓名', en: 'A new customer needs a name' },
  IMPORT_DUPLICATE_PHONE: {
    'zh-CN': '手机号 {phone} 与第 {other} 行重复',
    en: 'Phone {phone} also appears on row {other}',
  },
  IMPORT_DUPLICATE_MEMBER_CODE: {
    'zh-CN': '会员卡号 {code} 与第 {other} 行重复',
    en: 'Member code {code} also appears on row {other}',
  },
  IMPORT_SAME_CUSTOMER: {
    'zh-CN': '与第 {other} 行是同一位顾客（手机号、会员卡号或顾客编号相同），请合并为一行',
    en: 'Row {other} is the same customer (same phone, member code or customer id); combine the two rows',
  },
  IMPORT_MEMBER_CODE_TAKEN: {
    'zh-CN': '会员卡号 {code} 属于另一位顾客，不是本行手机号对应的顾客',
    en: "Member code {code} belongs to a different customer than this row's phone number",
  },
  IMPORT_CUSTOMER_ID_CONFLICT: {
    'zh-CN': '顾客编号对应的顾客与本行手机号或会员卡号对应的顾客不是同一人',
    en: "The customer id names a different customer than this row's phone number or member code",
  },
  IMPORT_MEMBER_CODE_DIFFERS: {
    'zh-CN': '该顾客已有会员卡号 {existing}，与文件中的 {code} 不同',
    en: 'This customer already has member code {existing}, not {code}',
  },
  IMPORT_EXTRA_CELLS: {
    'zh-CN': '本行比表头多出 {count} 个有内容的单元格',
    en: 'The row has {count} filled cells beyond the header',
  },
  IMPORT_EMPTY_FILE: {
    'zh-CN': '文件是空的：第一行应为列名',
    en: 'The file is empty: its first row should name the columns',
  },
  IMPORT_NO_KEY_COLUMN: {
    'zh-CN': '找不到手机号或会员卡号列（列名可用：手机号、手机、电话、会员卡号、会员号 等，或导出文件的顾客编号）',
    en:
      "No phone or member code column (headers such as Phone, Mobile, Member code, Card number, or the export's " +
      'Customer id)',
  },
  IMPORT_DUPLICATE_COLUMN: {
    'zh-CN': '列“{column}”与列“{other}”表示同一项，请只保留一列',
    en: 'Columns "{column}" and "{other}" mean the same field; keep one',
  },
  IMPORT_MALFORMED_CSV: { 'zh-CN': 'CSV 格式有误（{detail}）', en: 'Malformed CSV ({detail})' },
  IMPORT_BAD_QUOTES: {
    'zh-CN': '引号不成对：一个以引号开始的单元格没有结束的引号',
    en: 'Unbalanced quotes: a cell that starts with a quote never ends it',
  },
  IMPORT_UNKNOWN_COLUMN: { 'zh-CN': '未识别的列“{column}”，已忽略', en: 'Unknown column "{column}" ignored' },
  IMPORT_TOO_LARGE: { 'zh-CN': '文件超过 {limit} MB 的上限', en: 'The file is larger than the {limit} MB limit' },
  IMPORT_UNSUPPORTED_MEDIA: {
    'zh-CN': '请将 CSV 文件本身作为请求体上传（不支持 multipart 表单）',
    en: 'Send the CSV file itself as the request body (multipart forms are not accepted)',
  },
  IMPORT_UNKNOWN_ENCODING: {
    'zh-CN': '不支持的字符编码：{charset}（支持 UTF-8 和 GB18030/GBK）',
    en: 'Unsupported character set: {charset} (UTF-8 and GB18030/GBK are)',
  },
  IMPORT_MISSING_COLUMN: { 'zh-CN': '缺少必需的列“{column}”', en: 'The required column "{column}" is missing' },
  IMPORT_REQUIRED: { 'zh-CN': '必填', en: 'Required' },
  IMPORT_REQUIRED_FOR_NEW: {
    'zh-CN': '新{entity}必须填写此列',
    en: 'A new {entity} needs this column filled in',
  },
  IMPORT_DUPLICATE_VALUE: {
    'zh-CN': '“{value}”与第 {other} 行重复',
    en: '"{value}" repeats row {other}',
  },
  IMPORT_DUPLICATE_LINE: {
    'zh-CN': '与第 {other} 行是同一单的相同商品行（{value}），请合并数量',
    en: 'The same line ({value}) as row {other} of the same sale; add up the quantities',
  },
  IMPORT_INVALID_INTEGER: {
    'zh-CN': '应为整数（绝对值不超过 {max}）：{value}',
    en: 'Must be a whole number (at most {max} either way): {value}',
  },
  IMPORT_INVALID_QUANTITY: {
    'zh-CN': '数量应为大于 0 的整数：{value}',
    en: 'Quantity must be a whole number above 0: {value}',
  },
  IMPORT_INVALID_YES_NO: { 'zh-CN': '应为“是”或“否”：{value}', en: 'Must be yes or no: {value}' },
  IMPORT_INVALID_CODE: {
    'zh-CN': '编码应为 1–64 位字母、数字或 . _ - / #：{value}',
    en: 'A code is 1–64 letters, digits or . _ - / #: {value}',
  },
  IMPORT_STORE_FORBIDDEN: {
    'zh-CN': '当前账号无权向门店“{value}”导入数据',
    en: 'Your account may not import data into store "{value}"',
  },
  IMPORT_UNKNOWN_SKU: {
    'zh-CN': '未知商品编码：{value}（请先导入商品）',
    en: 'Unknown SKU: {value} (import the products first)',
  },
  IMPORT_BARCODE_TAKEN: {
    'zh-CN': '条码 {value} 已属于商品 {sku}',
    en: 'Barcode {value} already belongs to product {sku}',
  },
  IMPORT_UNKNOWN_MEMBER: {
    'zh-CN': '找不到会员号 {value}（请先导入会员）',
    en: 'No member has the code {value} (import the members first)',
  },
  IMPORT_UNKNOWN_CUSTOMER: {
    'zh-CN': '找不到手机号为 {value} 的顾客（请先导入会员）',
    en: 'No customer has the phone {value} (import the members first)',
  },
  IMPORT_MEMBER_PHONE_DIFFER: {
    'zh-CN': '会员号 {code} 与手机号 {phone} 属于不同的顾客',
    en: 'Member code {code} and phone {phone} belong to different customers',
  },
  IMPORT_NOT_A_MEMBER: {
    'zh-CN': '手机号为 {value} 的顾客还不是会员',
    en: 'The customer with phone {value} is not a member',
  },
  IMPORT_UNKNOWN_STAFF: {
    'zh-CN': '找不到员工账号 {value}（请先导入员工）',
    en: 'No staff member signs in as {value} (import the staff first)',
  },
  IMPORT_INVALID_PAYMENT_METHOD: {
    'zh-CN': '支付方式应为现金、银行卡、微信、支付宝或其他：{value}',
    en: 'Payment method must be cash, card, WeChat, Alipay or other: {value}',
  },
  IMPORT_DISCOUNT_TOO_LARGE: {
    'zh-CN': '优惠 {value} 超过该行金额',
    en: 'The discount {value} is more than the line amount',
  },
  IMPORT_SALE_LINES_DISAGREE: {
    'zh-CN': '与同一单（{receipt}）第 {other} 行填写的不一致',
    en: 'Differs from row {other} of the same sale ({receipt})',
  },
  IMPORT_SALE_ALREADY_DIFFERENT: {
    'zh-CN': '单号 {receipt} 已导入，但本文件中该单的行与已导入的不同（同一单的所有行须在同一文件中）',
    en: 'Receipt {receipt} was imported before with other lines (all the lines of a sale must be in one file)',
  },
  IMPORT_SALE_TOO_MANY_LINES: {
    'zh-CN': '销售单 {receipt} 超过 {max} 行',
    en: 'Sale {receipt} has more than {max} lines',
  },
  IMPORT_INVALID_ROLE: {
    'zh-CN': '角色应为店长、收银员、导购或老板：{value}',
    en: 'Role must be manager, cashier, sales associate or owner: {value}',
  },
  IMPORT_INVALID_PASSWORD: {
    'zh-CN': '初始密码应为 8–200 个字符',
    en: 'The initial password must be 8–200 characters',
  },
  IMPORT_PASSWORD_REQUIRED: { 'zh-CN': '新员工需要填写初始密码', en: 'A new staff member needs an initial password' },
  IMPORT_UNKNOWN_TIER: { 'zh-CN': '未知会员等级：{value}', en: 'Unknown tier: {value}' },
  IMPORT_POINTS_EXPIRED: {
    'zh-CN': '积分在 {value} 已到期，不能导入',
    en: 'These points expired on {value} and cannot be imported',
  },
  IMPORT_POINTS_OPENING_EXISTS: {
    'zh-CN': '该会员已导入期初积分 {existing}，不能再导入不同的数额（请用积分调整）',
    en:
      'This member already has an opening balance of {existing} points; a different figure cannot be imported ' +
      '(adjust the points instead)',
  },
  IMPORT_TOO_MANY_ROWS: { 'zh-CN': '工作表超过 {max} 行', en: 'The worksheet has more than {max} rows' },
  IMPORT_TOO_MANY_COLUMNS: { 'zh-CN': '工作表超过 {max} 列', en: 'The worksheet has more than {max} columns' },
  IMPORT_MALFORMED_XLSX: {
    'zh-CN': '无法读取 Excel 文件（{detail}）；请另存为 .xlsx 或 CSV 后重试',
    en: 'The Excel file cannot be read ({detail}); save it as .xlsx or CSV and try again',
  },
  // storefront access (src/storefront/, docs/storefront.md)
  STOREFRONT_ONE_IDENTITY: {
    'zh-CN': '请提供手机号或渠道身份中的一项（只能一项）',
    en: 'Give either a phone number or a channel identity, not both',
  },
  STOREFRONT_TOKEN_TTL: {
    'zh-CN': '令牌有效期应为 {min}–{max} 分钟',
    en: 'A token lives {min}–{max} minutes',
  },
  STOREFRONT_NO_CUSTOMER: {
    'zh-CN': '没有这位顾客；如需同时入会，请传 enrol',
    en: 'No such customer; pass enrol to create and enrol them',
  },
  STOREFRONT_ENROL_NEEDS_PHONE: {
    'zh-CN': '入会需要已验证的手机号',
    en: 'Enrolling needs a verified phone number',
  },
  PERSISTED_OPERATION_NOT_FOUND: {
    'zh-CN': '没有登记这个操作编号；请先用 registerPersistedOperations 登记',
    en: 'No operation is registered under this id; register it with registerPersistedOperations first',
  },
  PERSISTED_OPERATION_ID_MISMATCH: {
    'zh-CN': '操作编号 {id} 不是该文档的 sha256',
    en: 'The id {id} is not the sha256 of the document',
  },
  PERSISTED_OPERATION_INVALID: {
    'zh-CN': '操作文档不符合本接口的结构：{detail}',
    en: 'The document does not validate against this API: {detail}',
  },
  PERSISTED_OPERATIONS_ONLY: {
    'zh-CN': '本部署只接受已登记的操作（按编号发送）',
    en: 'This deployment accepts only registered operations from storefronts, sent by id',
  },
  IMPORT_UNKNOWN_KIND: {
    'zh-CN': '没有这种导入：{kind}（可用：{kinds}）',
    en: 'No such import: {kind} (there are: {kinds})',
  },
  // webhooks (src/webhooks/, docs/webhooks.md)
  WEBHOOK_URL_REFUSED: { 'zh-CN': '不能向该地址推送：{reason}', en: 'Webhooks cannot be sent to this URL: {reason}' },
  WEBHOOK_NO_EVENTS: { 'zh-CN': '请至少选择一种事件', en: 'Choose at least one event type' },
  WEBHOOK_UNKNOWN_EVENT: {
    'zh-CN': '没有这种可推送的事件：{type}（见 webhookEventTypes）',
    en: 'No such event type to deliver: {type} (see webhookEventTypes)',
  },
  WEBHOOK_TOO_MANY_ENDPOINTS: {
    'zh-CN': '推送地址已达上限（{max} 个），请先删除不用的',
    en: 'There are already {max} webhook endpoints, the most allowed; delete one first',
  },
  WEBHOOK_ENDPOINT_NOT_ACTIVE: {
    'zh-CN': '推送地址当前不可用（{status}），请先启用',
    en: 'The endpoint is not active ({status}); turn it on first',
  },
  WEBHOOK_OVERLAP_OUT_OF_RANGE: {
    'zh-CN': '新旧密钥并用时间应在 0 到 {max} 秒之间',
    en: 'The overlap of the old and new secret must be 0 to {max} seconds',
  },
  // calendar
  CALENDAR_INVALID_DATE: {
    'zh-CN': '日期应为 {from}–{to} 年间的 YYYY-MM-DD：{value}',
    en: 'A date is YYYY-MM-DD between {from} and {to}: {value}',
  },
  CALENDAR_PERIOD_TOO_LONG: { 'zh-CN': '日期范围最多 {max} 天', en: 'A period is at most {max} days' },
  IMPORT_CONFLICT: {
    'zh-CN': '导入期间有其他操作修改了相同的数据（如顾客或会员卡号），未写入任何数据，请重新导入',
    en:
      'Another change touched the same records (customers, member codes…) during the import; nothing was written, ' +
      'send the file again',
  },
  // limits on requests (src/schema/query-limits.ts, src/security/)
  QUERY_LIMIT_DEPTH: {
    'zh-CN': '查询嵌套过深：最多 {max} 层',
    en: 'The query is nested too deeply: at most {max} levels',
  },
  QUERY_LIMIT_ALIASES: {
    'zh-CN': '查询使用的别名过多：最多 {max} 个',
    en: 'The query uses too many aliases: at most {max}',
  },
  QUERY_LIMIT_FIELDS: {
    'zh-CN': '查询选择的字段过多：最多 {max} 个（含片段展开后）',
    en: 'The query selects too many fields: at most {max}, fragments included',
  },
  QUERY_LIMIT_COST: {
    'zh-CN': '查询开销过大（最多 {max}）：请减小 first/last 分页大小或减少嵌套的列表',
    en: 'The query would cost too much (at most {max}): ask for smaller pages (first/last) or fewer nested lists',
  },
  QUERY_LIMIT_TOKENS: {
    'zh-CN': '查询文本过长：最多 {max} 个词法单元（大量数据请用变量传递）',
    en: 'The query document is too long: at most {max} tokens (send large inputs as variables)',
  },
  QUERY_LIMIT_ONCE: {
    'zh-CN': '一次请求中 {field} 最多只能出现一次',
    en: '{field} may appear at most once in a request',
  },
  RATE_LIMITED: {
    'zh-CN': '请求过于频繁，请在 {seconds} 秒后重试',
    en: 'Too many requests; try again in {seconds} seconds',
  },
  REQUEST_TOO_LARGE: {
    'zh-CN': '请求过大：GraphQL 请求最多 {max} 字节（导入文件请使用 POST /imports/<类型>）',
    en: 'The request is too large: a GraphQL request may be at most {max} bytes (send files to POST /imports/<kind>)',
  },
  LENGTH_REQUIRED: {
    'zh-CN': 'GraphQL 请求须带 Content-Length（不接受分块传输）',
    en: 'A GraphQL request needs a Content-Length (chunked bodies are not accepted)',
  },
  STATEMENT_TIMEOUT: {
    'zh-CN': '查询耗时过长，已被数据库取消，未保存任何数据（请求编号 {requestId}）；请缩小查询范围后重试',
    en:
      'The request took too long and the database cancelled it; nothing was saved (request id {requestId}). Ask ' +
      'for less and try again',
  },
  SIGN_IN_THROTTLED: {
    'zh-CN': '登录失败次数过多，请在 {seconds} 秒后再试',
    en: 'Too many failed sign-ins; try again in {seconds} seconds',
  },
  // segments and guides
  SEGMENT_CONDITION_UNAVAILABLE: {
    'zh-CN': '分群条件 {field} 需要安装 {plugin} 插件',
    en: 'The segment condition {field} needs the {plugin} plugin, which is not installed',
  },
  SEGMENT_CONDITION_INVALID: { 'zh-CN': '分群条件 {field} 有误：{detail}', en: 'Segment condition {field}: {detail}' },
  SEGMENT_EMPTY: {
    'zh-CN': '分群至少需要一个条件',
    en: 'A segment needs at least one condition',
  },
  GUIDE_NOT_IN_STORE: {
    'zh-CN': '该员工不在此门店任职，不能担任专属导购',
    en: 'This staff member does not work in this store and cannot be a guide there',
  },
  PERIOD_TOO_LONG: {
    'zh-CN': '时间段过长：最多 {max} 天',
    en: 'The period is too long: at most {max} days',
  },
  // insights (docs/insights.md)
  INSIGHT_PERIOD: {
    'zh-CN': '统计期间有误：起止日期须在 1 至 {max} 天之间（含首尾）',
    en: 'Invalid period: from–to must span 1 to {max} days, both included',
  },
  INSIGHT_RANGE: {
    'zh-CN': '{argument} 须在 {min} 至 {max} 之间',
    en: '{argument} must be between {min} and {max}',
  },
  INSIGHT_SEQUENCE_SPAN: {
    'zh-CN': '期间（{days} 天）与 withinDays（{window} 天）合计最多 {max} 天：此窗口下期间最多 {longest} 天',
    en:
      'The period ({days} days) and withinDays ({window}) may span at most {max} days together: ' +
      'with this window the period may be at most {longest} days',
  },
  INSIGHT_TOO_MANY_STORES: {
    'zh-CN': '一次最多分析 {max} 家门店',
    en: 'At most {max} stores at a time',
  },
  // auth
  INVALID_CREDENTIALS: { 'zh-CN': '账号或密码错误', en: 'Wrong sign-in name or password' },
  UNAUTHENTICATED: { 'zh-CN': '请先登录或提供 API 密钥', en: 'Sign in or send an API key first' },
  FORBIDDEN: { 'zh-CN': '当前账号无权执行此操作', en: 'Your account is not allowed to do this' },
  TRY_AGAIN: {
    'zh-CN': '系统繁忙，本次操作未保存任何数据，请重新提交（请求编号 {requestId}）',
    en: 'The system is busy; nothing was saved. Send the same request again (request id {requestId})',
  },
  DATABASE_UNAVAILABLE: {
    'zh-CN': '数据库暂时无法连接，请稍后用同一请求重新提交（同一单号的销售不会重复记录；请求编号 {requestId}）',
    en:
      'The database is unreachable for a moment; send the same request again shortly (a sale with the same ' +
      'external id is never recorded twice; request id {requestId})',
  },
  INTERNAL: {
    'zh-CN': '服务器内部错误，请联系管理员（请求编号 {requestId}）',
    en: 'Internal server error; contact your administrator (request id {requestId})',
  },
} satisfies Record<string, Message>;

export type MessageCode = keyof typeof messages;

const pluginMessages: Record<string, Message> = {};

/**
 * Plugins add their own sentences (and so their own error codes) when their factory runs,
 * before the schema is built. A code may be registered once.
 */
export function registerMessages(added: Record<string, Message>) {
  for (const [code, message] of Object.entries(added)) {
    if (code in messages || code in pluginMessages) {
      if (pluginMessages[code]?.en === message.en) continue; // the same plugin loaded twice
      throw new Error(`Message code ${code} is already defined`);
    }
    pluginMessages[code] = message;
  }
}

/** Every error code known now: core's and those of the loaded plugins. */
export function messageCodes(): string[] {
  return [...Object.keys(messages), ...Object.keys(pluginMessages)];
}

/** Entity names used inside messages such as NOT_FOUND. */
export const entityNames: Record<string, Message> = {
  Customer: { 'zh-CN': '顾客', en: 'Customer' },
  Member: { 'zh-CN': '会员', en: 'Member' },
  Store: { 'zh-CN': '门店', en: 'Store' },
  Staff: { 'zh-CN': '员工', en: 'Staff member' },
  Product: { 'zh-CN': '商品', en: 'Product' },
  Sale: { 'zh-CN': '销售单', en: 'Sale' },
  SaleLine: { 'zh-CN': '销售行', en: 'Sale line' },
  Stocktake: { 'zh-CN': '盘点单', en: 'Stocktake' },
  ApiKey: { 'zh-CN': 'API 密钥', en: 'API key' },
  Job: { 'zh-CN': '定时任务', en: 'Scheduled job' },
  Segment: { 'zh-CN': '客户分群', en: 'Segment' },
  GuideBinding: { 'zh-CN': '专属导购', en: 'Guide binding' },
  CommissionRule: { 'zh-CN': '提成规则', en: 'Commission rule' },
};

/**
 * What is wrong with an input, filling the {detail} of INVALID_INPUT and SEGMENT_CONDITION_INVALID
 * in the caller's language (with the error's params): segment conditions say what is wrong with
 * them this way, and a plugin's condition check names one of these (or a message it registered).
 */
export const detailMessages: Record<string, Message> = {
  SEGMENT_DETAIL_EMPTY_LIST: { 'zh-CN': '列表不能为空', en: 'empty list' },
  SEGMENT_DETAIL_TOO_MANY_VALUES: { 'zh-CN': '最多 {max} 个值', en: 'at most {max} values' },
  SEGMENT_DETAIL_VALUE_LENGTH: { 'zh-CN': '每个值应为 1–{max} 个字符', en: 'values of 1–{max} characters' },
  SEGMENT_DETAIL_DAYS: { 'zh-CN': '应为 1 到 {max} 之间的整天数', en: 'a whole number of days from 1 to {max}' },
  SEGMENT_DETAIL_WHOLE_NUMBER: { 'zh-CN': '应为 0 到 {max} 之间的整数', en: 'a whole number from 0 to {max}' },
  SEGMENT_DETAIL_NEGATIVE: { 'zh-CN': '不能小于 0', en: 'not below 0' },
  SEGMENT_DETAIL_BELOW: { 'zh-CN': '不能小于 {other}', en: 'below {other}' },
  SEGMENT_DETAIL_NEEDS: { 'zh-CN': '需要同时设置 {other}', en: 'needs {other}' },
  SEGMENT_DETAIL_WINDOWS: {
    'zh-CN': '应小于 {other}，否则没有顾客能同时满足两个时间窗',
    en: 'no customer can match both windows (it must be below {other})',
  },
  SEGMENT_DETAIL_STORE_COUNT: { 'zh-CN': '应为 1–{max} 个门店', en: '1–{max} stores' },
  SEGMENT_DETAIL_UNKNOWN_STORE: { 'zh-CN': '门店不存在', en: 'unknown store' },
  SEGMENT_DETAIL_UNKNOWN_CHANNEL: { 'zh-CN': '没有渠道 {value}', en: 'unknown channel {value}' },
  SEGMENT_DETAIL_UNKNOWN_CATEGORY: { 'zh-CN': '没有商品属于品类 {value}', en: 'no product has the category {value}' },
  SEGMENT_DETAIL_UNKNOWN_TIER: { 'zh-CN': '没有编码为 {value} 的会员等级', en: 'no tier with the code {value}' },
  SEGMENT_DETAIL_UNKNOWN_RFM_LAYER: {
    'zh-CN': '{value} 不是 RFM 分层（可选：{allowed}）',
    en: 'not an RFM layer: {value} (one of {allowed})',
  },
  SEGMENT_DETAIL_NAME: { 'zh-CN': '名称应为 1–100 个字符', en: 'name: 1–100 characters' },
  SEGMENT_DETAIL_DESCRIPTION: { 'zh-CN': '说明最多 500 个字符', en: 'description: at most 500 characters' },
};

const statusWords: Record<string, Message> = {
  POSTED: { 'zh-CN': '过账', en: 'posted' },
  CANCELLED: { 'zh-CN': '取消', en: 'cancelled' },
};

export function translate(code: MessageCode | (string & {}), params: Params, locale: Locale): string {
  const template = ((messages as Record<string, Message>)[code] ?? pluginMessages[code])?.[locale] ?? code;
  return fill(template, params, locale, code);
}

function fill(template: string, params: Params, locale: Locale, code?: string): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const raw = params[key];
    if (raw === undefined) return `{${key}}`;
    const value = String(raw);
    if (key === 'entity') return entityNames[value]?.[locale] ?? value;
    if (key === 'status') return statusWords[value]?.[locale] ?? value;
    // A detail may be a code (SEGMENT_DETAIL_…), rendered in the caller's language with the same params.
    if (key === 'detail') {
      const detail = code === undefined ? undefined : (detailMessages[value] ?? pluginMessages[value]);
      if (detail && value !== code) return fill(detail[locale], params, locale);
    }
    return value;
  });
}
