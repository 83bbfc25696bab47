import type { Locale } from '../i18n/locale.ts';

// Values a store person reads, which the customer import reads back.
export const GENDER: Record<Locale, Record<string, string>> = {
  'zh-CN': { FEMALE: '女', MALE: '男', UNKNOWN: '' },
  en: { FEMALE: 'female', MALE: 'male', UNKNOWN: '' },
};
export const CHANNEL: Record<Locale, Record<string, string>> = {
  'zh-CN': { STORE: '门店', WECHAT: '微信', MINI_PROGRAM: '小程序', ECOMMERCE: '电商', WEB: '官网', IMPORT: '导入' },
  en: {
    STORE: 'store',
    WECHAT: 'WeChat',
    MINI_PROGRAM: 'mini program',
    ECOMMERCE: 'e-commerce',
    WEB: 'web',
    IMPORT: 'import',
  },
};
export const YES_NO: Record<Locale, [string, string]> = { 'zh-CN': ['是', '否'], en: ['Y', 'N'] };
