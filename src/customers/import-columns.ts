import type { Channel, ConsentChannel, Gender } from '../generated/prisma/enums.ts';
import { parseAmount, parseCalendarDate, parseCount, parseDateTime, parseEmail, textLimit } from '../imports/cells.ts';
import { type MappedColumn, mapColumns, rowReader } from '../imports/columns.ts';
import { fail, type HeaderMapping, type ImportColumn, type ParsedRow } from '../imports/kind.ts';
import type { StoreRef } from '../imports/refs.ts';
import { isUuid } from '../db/ids.ts';
import { EXPORT_COLUMNS } from './export.ts';
import { normalizePhone } from './phone.ts';
import { MEMBER_CODE } from '../members/service.ts';

/** What a column of an import file can mean. */
export type ImportField =
  | 'id'
  | 'name'
  | 'phone'
  | 'email'
  | 'gender'
  | 'birthday'
  | 'sourceChannel'
  | 'tags'
  | 'memberCode'
  | 'memberSince'
  | 'homeStore'
  | 'firstPurchaseAt'
  | 'lastPurchaseAt'
  | 'visitCount'
  | 'lifetimeSpend'
  | 'consentSms'
  | 'consentWechat'
  | 'consentEmail'
  | 'consentPhoneCall'
  | 'notes'
  | 'createdAt';

/**
 * Header names per field, besides the export's own (EXPORT_COLUMNS, both languages): what
 * merchants' spreadsheets and old POS exports call them. Compared after `headerKey`, so case,
 * spaces, full-width forms, "*" marks and bracketed hints such as "(元)" or "（必填）" do not matter.
 */
const SYNONYMS: Record<ImportField, string[]> = {
  id: ['顾客编号', '客户编号', '顾客id', '客户id', 'customer id', 'id'],
  name: [
    '姓名',
    '客户姓名',
    '顾客姓名',
    '会员姓名',
    '名字',
    '客户名称',
    '顾客名称',
    '客户名',
    'name',
    'full name',
    'customer name',
  ],
  phone: [
    '手机号',
    '手机',
    '手机号码',
    '电话',
    '电话号码',
    '联系电话',
    '联系方式',
    '移动电话',
    '会员手机',
    '会员手机号',
    '客户手机',
    '客户手机号',
    'phone',
    'mobile',
    'mobile phone',
    'mobile number',
    'phone number',
    'cell',
    'cellphone',
    'tel',
    'telephone',
  ],
  email: ['邮箱', '电子邮箱', '电子邮件', '邮件', '邮箱地址', 'email', 'e-mail', 'mail', 'email address'],
  gender: ['性别', 'gender', 'sex'],
  birthday: ['生日', '出生日期', '出生年月日', '生日日期', 'birthday', 'date of birth', 'birth date', 'dob'],
  sourceChannel: ['来源渠道', '来源', '渠道', '客户来源', '顾客来源', 'source channel', 'source', 'channel'],
  tags: ['标签', '客户标签', '顾客标签', '会员标签', 'tags', 'tag', 'labels'],
  memberCode: [
    '会员号',
    '会员卡号',
    '卡号',
    '会员编号',
    '会员码',
    '会员卡',
    '会员卡编号',
    'member code',
    'member number',
    'member no',
    'membership number',
    'card number',
    'card no',
    'card',
  ],
  memberSince: [
    '入会时间',
    '入会日期',
    '开卡时间',
    '开卡日期',
    '成为会员时间',
    'member since',
    'joined at',
    'joined',
    'join date',
  ],
  homeStore: [
    '所属门店',
    '归属门店',
    '门店',
    '门店编码',
    '门店代码',
    '开卡门店',
    '常去门店',
    'home store',
    'home store code',
    'store',
    'store code',
  ],
  firstPurchaseAt: [
    '首次消费',
    '首次消费时间',
    '首次消费日期',
    '首次购买',
    '首次购买时间',
    '第一次消费',
    'first purchase',
    'first purchase at',
    'first order',
  ],
  lastPurchaseAt: [
    '最近消费',
    '最近消费时间',
    '最近消费日期',
    '最后消费',
    '最后消费时间',
    '最后消费日期',
    '最近购买',
    '最后购买时间',
    'last purchase',
    'last purchase at',
    'last order',
  ],
  visitCount: [
    '消费次数',
    '累计消费次数',
    '到店次数',
    '购买次数',
    '来店次数',
    'visits',
    'visit count',
    'orders',
    'order count',
    'number of orders',
  ],
  lifetimeSpend: [
    '累计消费',
    '累计消费金额',
    '消费总额',
    '消费总金额',
    '总消费',
    '总消费金额',
    '累计金额',
    '消费金额',
    'lifetime spend',
    'total spend',
    'total spent',
    'lifetime value',
    'spend',
  ],
  consentSms: [
    '短信营销授权',
    '短信授权',
    '接收短信',
    '短信营销',
    '允许短信',
    'sms consent',
    'sms marketing',
    'accepts sms',
  ],
  consentWechat: ['微信营销授权', '微信授权', '微信营销', '接收微信消息', 'wechat consent', 'wechat marketing'],
  consentEmail: [
    '邮件营销授权',
    '邮件授权',
    '邮件营销',
    '接收邮件',
    'email consent',
    'e-mail consent',
    'email marketing',
    'accepts email',
  ],
  consentPhoneCall: [
    '电话营销授权',
    '电话授权',
    '电话营销',
    '接听营销电话',
    'phone call consent',
    'call consent',
    'phone marketing',
  ],
  notes: ['备注', '说明', '客户备注', '顾客备注', 'notes', 'note', 'remarks', 'remark', 'comment', 'comments'],
  createdAt: [
    '建档时间',
    '建档日期',
    '创建时间',
    '注册时间',
    '注册日期',
    'created at',
    'created',
    'registered at',
    'registration date',
  ],
};

/**
 * Every field the import reads, under the export's headers (so an exported file re-imports as it
 * is) and the synonyms above; the header mapping is the one every kind uses (columns.ts).
 */
const MAPPED_COLUMNS: MappedColumn[] = (Object.entries(SYNONYMS) as [ImportField, string[]][]).map(
  ([field, synonyms]) => {
    const exported = EXPORT_COLUMNS.find((c) => c.key === field);
    return { field, 'zh-CN': exported?.['zh-CN'] ?? synonyms[0]!, en: exported?.en ?? synonyms[0]!, synonyms };
  },
);
const mapColumnsOf = mapColumns(MAPPED_COLUMNS);

/** The header mapping; the file must name who each row is: a phone, member code or customer id column. */
export function mapHeader(header: string[]): HeaderMapping {
  const mapping = mapColumnsOf(header);
  if (!mapping.fields.some((f) => f === 'phone' || f === 'memberCode' || f === 'id')) {
    mapping.problems.push({ column: '', problem: { code: 'IMPORT_NO_KEY_COLUMN' } });
  }
  return mapping;
}

/** One row of the file, checked and normalised; absent fields were empty cells. */
export interface ImportRow {
  /** Row number as a spreadsheet shows it: the header is row 1. */
  row: number;
  /** A customer id of this system (a row of our own export). */
  id?: string;
  name?: string;
  phone?: string;
  email?: string;
  gender?: Gender;
  /** YYYY-MM-DD */
  birthday?: string;
  sourceChannel?: Channel;
  tags: string[];
  memberCode?: string;
  memberSince?: Date;
  homeStoreId?: string;
  firstPurchaseAt?: Date;
  lastPurchaseAt?: Date;
  visitCount?: number;
  /** Exact decimal, two places, as text. */
  lifetimeSpend?: string;
  consents: Partial<Record<ConsentChannel, boolean>>;
  notes?: string;
  createdAt?: Date;
}

export interface RowContext {
  /** Stores by code and by name (lower case). */
  stores: Map<string, StoreRef>;
  /** Zone of dates written without one, when the row names no home store. */
  defaultTimeZone: string;
  now: Date;
}

const GENDERS: Record<string, Gender | null> = {
  男: 'MALE',
  男性: 'MALE',
  男士: 'MALE',
  先生: 'MALE',
  m: 'MALE',
  male: 'MALE',
  man: 'MALE',
  女: 'FEMALE',
  女性: 'FEMALE',
  女士: 'FEMALE',
  小姐: 'FEMALE',
  f: 'FEMALE',
  female: 'FEMALE',
  woman: 'FEMALE',
  未知: null,
  保密: null,
  不详: null,
  其他: null,
  unknown: null,
  u: null,
  '-': null,
};

const CHANNELS: Record<string, Channel> = {
  store: 'STORE',
  门店: 'STORE',
  线下: 'STORE',
  线下门店: 'STORE',
  到店: 'STORE',
  pos: 'STORE',
  wechat: 'WECHAT',
  微信: 'WECHAT',
  公众号: 'WECHAT',
  微信公众号: 'WECHAT',
  miniprogram: 'MINI_PROGRAM',
  小程序: 'MINI_PROGRAM',
  微信小程序: 'MINI_PROGRAM',
  ecommerce: 'ECOMMERCE',
  电商: 'ECOMMERCE',
  网店: 'ECOMMERCE',
  淘宝: 'ECOMMERCE',
  天猫: 'ECOMMERCE',
  京东: 'ECOMMERCE',
  拼多多: 'ECOMMERCE',
  抖音: 'ECOMMERCE',
  web: 'WEB',
  官网: 'WEB',
  网站: 'WEB',
  import: 'IMPORT',
  导入: 'IMPORT',
  其他: 'IMPORT',
};

const CONSENT_YES = new Set([
  'y',
  'yes',
  'true',
  '1',
  '是',
  '同意',
  '已同意',
  '授权',
  '已授权',
  '允许',
  '接收',
  '√',
  '✓',
  '✔',
]);
const CONSENT_NO = new Set([
  'n',
  'no',
  'false',
  '0',
  '否',
  '不同意',
  '拒绝',
  '未授权',
  '不允许',
  '不接收',
  '退订',
  '×',
  '✗',
  '✘',
]);

function parseConsent(raw: string): boolean {
  const value = raw.normalize('NFKC').trim().toLowerCase();
  if (CONSENT_YES.has(value)) return true;
  if (CONSENT_NO.has(value)) return false;
  return fail('IMPORT_INVALID_CONSENT', { value: raw });
}

const CONSENT_FIELDS: Partial<Record<ImportField, ConsentChannel>> = {
  consentSms: 'SMS',
  consentWechat: 'WECHAT',
  consentEmail: 'EMAIL',
  consentPhoneCall: 'PHONE_CALL',
};

/**
 * Checks and normalises one row. Every bad cell is reported (not only the first), each with the
 * column's header as the file wrote it.
 */
export function parseRow(row: number, cells: string[], mapping: HeaderMapping, ctx: RowContext): ParsedRow<ImportRow> {
  const value: ImportRow = { row, tags: [], consents: {} };
  const r = rowReader(row, cells, mapping, MAPPED_COLUMNS);
  const read = <T>(field: ImportField, parse: (raw: string) => T): T | undefined => r.read(field, parse);

  // The home store first: its time zone reads the row's dates.
  const store = read(
    'homeStore',
    (raw) => ctx.stores.get(raw.normalize('NFKC').toLowerCase()) ?? fail('IMPORT_UNKNOWN_STORE', { value: raw }),
  );
  value.homeStoreId = store?.id;
  const zone = store?.timezone ?? ctx.defaultTimeZone;

  value.id = read('id', (raw) => (isUuid(raw) ? raw.toLowerCase() : undefined));
  value.name = read('name', (raw) => {
    const name = raw.replace(/\s+/g, ' ');
    return name.length > 60 ? fail('IMPORT_INVALID_NAME') : name;
  });
  value.phone = read('phone', (raw) => normalizePhone(raw.normalize('NFKC')) ?? fail('INVALID_PHONE', { phone: raw }));
  value.email = read('email', parseEmail);
  value.gender = read('gender', (raw) => {
    const key = raw.normalize('NFKC').toLowerCase();
    if (!(key in GENDERS)) return fail('IMPORT_INVALID_GENDER', { value: raw });
    return GENDERS[key] ?? undefined; // "unknown" says nothing: it never overwrites a known gender
  });
  value.birthday = read('birthday', (raw) => parseCalendarDate(raw, ctx.now));
  value.sourceChannel = read('sourceChannel', (raw) => {
    const key = raw
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\s_-]/g, '');
    return CHANNELS[key] ?? fail('IMPORT_INVALID_CHANNEL', { value: raw });
  });
  value.tags =
    read('tags', (raw) => {
      const tags = [
        ...new Set(
          raw
            .split(/[|,，;；、]/)
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ];
      for (const t of tags) textLimit(t, 30);
      return tags;
    }) ?? [];
  value.memberCode = read('memberCode', (raw) => {
    const code = raw.normalize('NFKC');
    return MEMBER_CODE.test(code) ? code : fail('IMPORT_INVALID_MEMBER_CODE', { value: raw });
  });
  value.memberSince = read('memberSince', (raw) => parseDateTime(raw, zone, ctx.now));
  value.firstPurchaseAt = read('firstPurchaseAt', (raw) => parseDateTime(raw, zone, ctx.now));
  value.lastPurchaseAt = read('lastPurchaseAt', (raw) => parseDateTime(raw, zone, ctx.now));
  if (value.firstPurchaseAt && value.lastPurchaseAt && value.firstPurchaseAt > value.lastPurchaseAt) {
    r.report('firstPurchaseAt', {
      code: 'IMPORT_PURCHASE_DATES',
      params: { first: r.raw('firstPurchaseAt')!, last: r.raw('lastPurchaseAt')! },
    });
  }
  value.visitCount = read('visitCount', parseCount);
  value.lifetimeSpend = read('lifetimeSpend', parseAmount);
  for (const [field, channel] of Object.entries(CONSENT_FIELDS) as [ImportField, ConsentChannel][]) {
    const granted = read(field, parseConsent);
    if (granted !== undefined) value.consents[channel] = granted;
  }
  value.notes = read('notes', (raw) => textLimit(raw, 2000));
  value.createdAt = read('createdAt', (raw) => parseDateTime(raw, zone, ctx.now));

  if (
    !value.phone &&
    !value.memberCode &&
    !value.id &&
    !r.problems.some((p) => ['INVALID_PHONE', 'IMPORT_INVALID_MEMBER_CODE'].includes(p.problem.code))
  ) {
    r.report(null, { code: 'IMPORT_NO_KEY' });
  }
  return { value, problems: r.problems };
}

const h = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/**
 * The customer file's columns as the template shows them (the import reads every synonym above
 * too). Members are customers with a 会员号: one file brings both.
 */
export const CUSTOMER_COLUMNS: ImportColumn[] = [
  {
    field: 'phone',
    ...h('手机号', 'Phone'),
    text: true,
    hint: h(
      '11 位中国大陆手机号；识别顾客的主键（与会员号至少填一个）',
      'Mainland mobile; the key that names the customer (this or the member code)',
    ),
    examples: ['13912345678', '13687654321'],
  },
  {
    field: 'name',
    ...h('姓名', 'Name'),
    hint: h('新顾客必填，最多 60 个字', 'Required for a new customer, up to 60 characters'),
    examples: ['王芳', '李建国'],
  },
  {
    field: 'memberCode',
    ...h('会员号', 'Member code'),
    text: true,
    hint: h(
      '会员卡号，4–32 位字母、数字或 -；填写即开卡',
      'Card number, 4–32 letters, digits or -; enrols the customer',
    ),
    examples: ['VIP000123', '0008812'],
  },
  {
    field: 'memberSince',
    ...h('入会时间', 'Member since'),
    hint: h('开卡日期，如 2023-05-01', 'Date the card was issued, e.g. 2023-05-01'),
    examples: ['2023-05-01', '2021-11-11'],
  },
  {
    field: 'homeStore',
    ...h('所属门店', 'Home store'),
    hint: h('门店编码或名称', "A store's code or name"),
    examples: ['{store1}', '{store2}'],
  },
  { field: 'gender', ...h('性别', 'Gender'), hint: h('男 / 女', 'Male / female'), examples: ['女', '男'] },
  {
    field: 'birthday',
    ...h('生日', 'Birthday'),
    hint: h('如 1990-05-03', 'e.g. 1990-05-03'),
    examples: ['1990-05-03', '1985-10-20'],
  },
  { field: 'email', ...h('邮箱', 'E-mail'), hint: h('可不填', 'Optional'), examples: ['wangfang@example.cn', ''] },
  {
    field: 'tags',
    ...h('标签', 'Tags'),
    hint: h('多个标签用 | 或、分隔', 'Separated by | or 、'),
    examples: ['母婴|高价值', ''],
  },
  {
    field: 'sourceChannel',
    ...h('来源渠道', 'Source channel'),
    hint: h('门店、微信、小程序、电商、官网', 'Store, WeChat, mini-program, e-commerce, web'),
    examples: ['门店', '小程序'],
  },
  {
    field: 'lifetimeSpend',
    ...h('累计消费', 'Lifetime spend'),
    hint: h(
      '旧系统的累计消费金额（元）；若同时导入销售明细，请留空以免重复计算',
      "The old system's total (yuan); leave empty when importing the sales history too, or it counts twice",
    ),
    examples: ['12880.50', ''],
  },
  {
    field: 'visitCount',
    ...h('消费次数', 'Visits'),
    hint: h('同上，导入销售明细时留空', 'As above: empty when importing sales history'),
    examples: ['36', ''],
  },
  { field: 'consentSms', ...h('短信营销授权', 'SMS consent'), hint: h('是 / 否', 'Yes / no'), examples: ['是', '否'] },
  {
    field: 'consentWechat',
    ...h('微信营销授权', 'WeChat consent'),
    hint: h('是 / 否', 'Yes / no'),
    examples: ['是', ''],
  },
  {
    field: 'notes',
    ...h('备注', 'Notes'),
    hint: h('最多 2000 字', 'Up to 2,000 characters'),
    examples: ['喜欢有机食品', ''],
  },
];
