import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { templateWorkbook } from '../../src/imports/workbook.ts';
import { CORE_IMPORT_KINDS } from '../../src/imports/registry.ts';
import { isDateFormat, readFirstSheet, XlsxError, XlsxTooLarge } from '../../src/imports/xlsx.ts';

/**
 * The .xlsx reader against workbooks put together part by part, the way Excel, WPS and other
 * writers store them: parts in any order, namespace prefixes, shared and inline strings, Chinese
 * date formats, the 1904 date system, rows and cells left out, entries stored without compression.
 */

const dir = mkdtempSync(join(tmpdir(), 'xlsx-test-'));
let files = 0;
const limits = { maxRows: 1000, maxColumns: 20 };

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

interface Book {
  sheets?: { name: string; part: string; xml: string }[];
  strings?: string;
  styles?: string;
  workbookPr?: string;
  /** Store workbook.xml after the sheets (as exceljs does) instead of before them. */
  workbookLast?: boolean;
  stored?: boolean;
  prefix?: string;
}

const sheetXml = (rows: string, p = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><${p}worksheet ${p ? NS.replace('xmlns', `xmlns:${p.slice(0, -1)}`) : NS}>` +
  `<${p}sheetData>${rows}</${p}sheetData></${p}worksheet>`;

async function write(book: Book): Promise<string> {
  const sheets = book.sheets ?? [];
  const zip = new JSZip();
  const workbook =
    `<?xml version="1.0" encoding="UTF-8"?><workbook ${NS} ${REL_NS}>${book.workbookPr ?? ''}<sheets>` +
    sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    '</sheets></workbook>';
  const rels =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    sheets.map((s, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="${s.part}"/>`).join('') +
    `<Relationship Id="rS" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>` +
    `<Relationship Id="rT" Type="${REL}/styles" Target="styles.xml"/></Relationships>`;
  if (!book.workbookLast) zip.file('xl/workbook.xml', workbook);
  zip.file('xl/_rels/workbook.xml.rels', rels);
  for (const s of sheets) zip.file(`xl/${s.part}`, s.xml);
  if (book.strings) zip.file('xl/sharedStrings.xml', `<sst ${NS}>${book.strings}</sst>`);
  if (book.styles) zip.file('xl/styles.xml', `<styleSheet ${NS}>${book.styles}</styleSheet>`);
  if (book.workbookLast) zip.file('xl/workbook.xml', workbook);
  const bytes = await zip.generateAsync({
    type: 'nodebuffer',
    compression: book.stored ? 'STORE' : 'DEFLATE',
    streamFiles: book.stored, // sizes in data descriptors after each entry, as streaming writers do
  });
  const path = join(dir, `book-${files++}.xlsx`);
  writeFileSync(path, bytes);
  return path;
}

async function rows(path: string, bounds = limits): Promise<string[][]> {
  const out: string[][] = [];
  for await (const row of readFirstSheet(path, bounds)) out.push(row);
  return out;
}

async function failure(path: string, bounds = limits): Promise<unknown> {
  try {
    await rows(path, bounds);
  } catch (error) {
    return error;
  }
  return undefined;
}

const one = (cells: string) => [{ name: '数据', part: 'worksheets/sheet1.xml', xml: sheetXml(cells) }];

describe('the .xlsx reader', () => {
  it('reads shared strings (runs joined, phonetic guides left out), inline strings, formulas, booleans', async () => {
    const path = await write({
      strings:
        '<si><t>王芳</t></si><si><r><t>母婴</t></r><r><rPr><b/></rPr><t xml:space="preserve">|高价值</t></r></si>' +
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si><si><t>A &amp; B</t></si>',
      sheets: one(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>' +
          '<c r="D1" t="s"><v>3</v></c></row>' +
          '<row r="2"><c r="A2" t="inlineStr"><is><t>李建国</t></is></c><c r="B2" t="str"><f>A2&amp;"!"</f>' +
          '<v>李建国!</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c>' +
          '<c r="E2"><f>SUM(1,2)</f></c><c r="F2"><v>13912345678</v></c><c r="G2"><v>19.899999999999999</v></c></row>',
      ),
    });
    expect(await rows(path)).toEqual([
      ['王芳', '母婴|高价值', '東京', 'A & B'],
      ['李建国', '李建国!', 'TRUE', '', '', '13912345678', '19.9'],
    ]);
  });

  it('gives rows and cells Excel left out as blanks, so row numbers stay those Excel shows', async () => {
    const path = await write({
      sheets: one(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="C1" t="inlineStr"><is><t>c</t></is></c></row>' +
          '<row r="4"><c r="B4"><v>2</v></c></row><row><c><v>5</v></c><c><v>6</v></c></row>',
      ),
    });
    expect(await rows(path)).toEqual([['a', '', 'c'], [], [], ['', '2'], ['5', '6']]);
  });

  it('shows dates as dates (built-in, Chinese, custom formats, times, 1904 system), numbers as numbers', async () => {
    const styles =
      '<numFmts count="4"><numFmt numFmtId="164" formatCode="yyyy/mm/dd\\ hh:mm"/>' +
      '<numFmt numFmtId="165" formatCode="&quot;¥&quot;#,##0.00;[Red]\\-&quot;¥&quot;#,##0.00"/>' +
      '<numFmt numFmtId="166" formatCode="0.00E+00"/>' +
      '<numFmt numFmtId="167" formatCode="[$-804]yyyy&quot;年&quot;m&quot;月&quot;"/>' +
      '</numFmts><cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/><xf numFmtId="164"/>' +
      '<xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/></cellXfs>';
    const cells =
      '<row r="1"><c r="A1" s="1"><v>46067</v></c><c r="B1" s="2"><v>46067</v></c>' +
      '<c r="C1" s="3"><v>46067.395833333336</v></c>' +
      '<c r="D1" s="4"><v>46067</v></c><c r="E1" s="5"><v>46067</v></c><c r="F1" s="6"><v>46067</v></c>' +
      '<c r="G1" s="1"><v>1</v></c><c r="H1" s="1"><v>61</v></c><c r="I1" t="d"><v>2026-02-14T09:30:00</v></c></row>';
    expect(await rows(await write({ styles, sheets: one(cells) }))).toEqual([
      [
        ...['2026-02-14', '2026-02-14', '2026-02-14 09:30:00', '46067', '46067', '2026-02-14'],
        ...['1900-01-01', '1900-03-01', '2026-02-14 09:30:00'],
      ],
    ]);
    const path1904 = await write({ styles, workbookPr: '<workbookPr date1904="1"/>', sheets: one(cells) });
    expect((await rows(path1904))[0]!.slice(0, 2)).toEqual(['2030-02-15', '2030-02-15']);
  });

  it('tells date formats from number formats', () => {
    for (const code of ['yyyy-mm-dd', 'm/d/yy h:mm', '[h]:mm:ss', 'yyyy"年"m"月"d"日"', '[$-804]aaaa', 'mmm-yy'])
      expect([code, isDateFormat(code)]).toEqual([code, code !== '[$-804]aaaa']);
    for (const code of ['0.00', '#,##0', '"¥"#,##0.00', '0.00E+00', 'General', '[Red]0.0', '"days"0', '@'])
      expect([code, isDateFormat(code)]).toEqual([code, false]);
  });

  it('reads the first tab whatever its part is named, parts in any order, prefixed, stored uncompressed', async () => {
    const first = {
      name: '会员',
      part: 'worksheets/sheet2.xml',
      xml: sheetXml('<x:row><x:c t="inlineStr"><x:is><x:t>一</x:t></x:is></x:c></x:row>', 'x:'),
    };
    const second = {
      name: '说明',
      part: 'worksheets/sheet1.xml',
      xml: sheetXml('<row><c t="inlineStr"><is><t>二</t></is></c></row>'),
    };
    for (const variant of [{}, { workbookLast: true }, { stored: true }, { stored: true, workbookLast: true }])
      expect(await rows(await write({ ...variant, sheets: [first, second] }))).toEqual([['一']]);
  });

  it('reads a template as exceljs writes it the same way every time', async () => {
    const staff = CORE_IMPORT_KINDS.find((k) => k.name === 'staff')!;
    const path = join(dir, 'staff.xlsx');
    writeFileSync(path, await templateWorkbook(staff, 'zh-CN', ['BJ001']));
    const expected = await rows(path);
    expect(expected[0]).toContain('姓名*');
    expect(expected[1]).toContain('BJ001');
    for (let i = 0; i < 60; i++) expect(await rows(path)).toEqual(expected);
  });

  it('keeps Chinese text whole where it straddles the chunks the zip is inflated in', async () => {
    // exceljs's own streaming reader turned 8 of these 12,000 names into text like "王芳��五〇一".
    const path = join(dir, 'names.xlsx');
    const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
    const sheet = book.addWorksheet('会员');
    const name = (i: number) => `王芳${[...String(i)].map((d) => '〇一二三四五六七八九'[Number(d)]).join('')}`;
    for (let i = 0; i < 12_000; i++) sheet.addRow([name(i), '喜欢有机食品']).commit();
    sheet.commit();
    await book.commit();
    const read = await rows(path, { maxRows: 20_000, maxColumns: 5 });
    expect(read).toHaveLength(12_000);
    const wrong = read.flatMap((r, i) => (r[0] === name(i) && r[1] === '喜欢有机食品' ? [] : [[i, r]]));
    expect(wrong).toEqual([]);
  });

  it('refuses what is not a workbook, and stops at the row, column and cell bounds', async () => {
    const notZip = join(dir, 'not.xlsx');
    writeFileSync(notZip, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
    expect(await failure(notZip)).toBeInstanceOf(XlsxError);

    const noBook = new JSZip();
    noBook.file('xl/worksheets/sheet1.xml', sheetXml(''));
    const noBookPath = join(dir, 'nobook.xlsx');
    writeFileSync(noBookPath, await noBook.generateAsync({ type: 'nodebuffer' }));
    expect(await failure(noBookPath)).toMatchObject({ detail: 'xl/workbook.xml missing' });

    expect(await failure(await write({ sheets: one('<row r="1"><c r="XFD1"><v>1</v></c></row>') }))).toMatchObject({
      kind: 'columns',
      row: 1,
      max: 20,
    });
    const many = Array.from({ length: 12 }, (_, i) => `<row r="${i + 1}"><c><v>${i}</v></c></row>`).join('');
    const tooMany = await failure(await write({ sheets: one(many) }), { maxRows: 10, maxColumns: 5 });
    expect(tooMany).toBeInstanceOf(XlsxTooLarge);
    expect(tooMany).toMatchObject({ kind: 'rows', row: 11 });
    expect(await failure(await write({ sheets: one('<row r="1000001"><c><v>1</v></c></row>') }))).toMatchObject({
      kind: 'rows',
      row: 1000001,
    });

    const long = `<row r="3"><c t="inlineStr"><is><t>${'长'.repeat(40_000)}</t></is></c></row>`;
    expect(await failure(await write({ sheets: one(long) }))).toMatchObject({ row: 3 });
    expect(await failure(await write({ sheets: one('<row><c><v>1</v></row>') }))).toBeInstanceOf(XlsxError);
  });
});
