import type { PluginContext } from '../../src/contract.ts';
import { runInTransaction } from '../../src/events/transaction.ts';
import { bookAppointment } from './appointments.ts';
import { createTask } from './followups.ts';
import type { TicketService } from './service.ts';
import type { TicketStatus } from './workflow.ts';

/**
 * The plugin's part of the demo data, in the first store (北京三里屯店): a ticket in every state
 * (one answered survey), the associate's follow-ups due today and overdue, an after-sales rule,
 * and appointments tomorrow.
 */
export async function seedTicketingDemo({ db, events }: PluginContext, service: TicketService) {
  const store = await db.store.findFirst({ orderBy: { createdAt: 'asc' }, select: { id: true, timezone: true } });
  if (!store) return;
  if ((await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Ticket"`)[0]!.n > 0) return;
  const roles = await db.staffRole.findMany({ where: { storeId: store.id }, select: { staffId: true, role: true } });
  const associate = roles.find((r) => r.role === 'SALES_ASSOCIATE')?.staffId ?? null;
  const manager = roles.find((r) => r.role === 'MANAGER')?.staffId ?? null;
  const customers = await db.customer.findMany({
    where: { mergedIntoId: null },
    orderBy: { createdAt: 'asc' },
    take: 6,
    select: { id: true },
  });
  if (customers.length < 6) return;
  const now = new Date();

  const tickets: {
    type: 'COMPLAINT' | 'INQUIRY' | 'AFTER_SALES' | 'RETURN_REQUEST' | 'FEEDBACK';
    subject: string;
    path: TicketStatus[];
  }[] = [
    { type: 'COMPLAINT', subject: '收银排队时间过长', path: [] },
    { type: 'INQUIRY', subject: '奶粉是否有 1 段现货', path: ['IN_PROGRESS'] },
    { type: 'AFTER_SALES', subject: '电动牙刷无法充电，申请维修', path: ['IN_PROGRESS', 'WAITING_ON_CUSTOMER'] },
    { type: 'RETURN_REQUEST', subject: '纸尿裤尺码不合适，申请换货', path: ['IN_PROGRESS', 'RESOLVED'] },
    { type: 'FEEDBACK', subject: '建议增加儿童休息区', path: ['RESOLVED', 'CLOSED'] },
  ];
  for (const [i, ticket] of tickets.entries()) {
    await runInTransaction(db, events, async (unit) => {
      let row = await service.create(
        unit,
        {
          type: ticket.type,
          channel: i % 2 ? 'WECHAT' : 'STORE',
          priority: i === 0 ? 'HIGH' : 'NORMAL',
          customerId: customers[i]!.id,
          storeId: store.id,
          saleId: null,
          saleLineNos: [],
          subject: ticket.subject,
          description: '',
          assigneeId: associate,
        },
        manager,
        now,
      );
      if (i === 2)
        await service.comment(
          unit,
          row,
          { body: '已请顾客带购物小票到店检测', internal: false, attachments: [] },
          associate,
          now,
        );
      for (const to of ticket.path) {
        const out = await service.transition(unit, row, to, null, associate, now);
        row = out.ticket;
        if (out.surveyToken && i === 3) await service.answerSurvey(unit, out.surveyToken, 5, '换货很快，谢谢', now);
      }
    });
  }

  await runInTransaction(db, events, async (unit) => {
    const day = (n: number) =>
      new Date(
        Date.parse(
          `${new Date(now.getTime() + n * 86_400_000).toLocaleDateString('en-CA', {
            timeZone: store.timezone,
          })}T00:00:00Z`,
        ),
      );
    const task = (customer: number, kind: 'CALL_BACK' | 'BIRTHDAY_CALL', due: number, note: string) =>
      createTask(
        unit.tx,
        {
          kind,
          customerId: customers[customer]!.id,
          storeId: store.id,
          assigneeId: associate,
          dueDate: day(due),
          note,
          ticketId: null,
        },
        manager,
      );
    await task(0, 'CALL_BACK', 0, '回访投诉处理结果');
    await task(5, 'CALL_BACK', -1, '确认新品到货后通知顾客');
    await task(4, 'BIRTHDAY_CALL', 2, '金卡会员生日关怀');
    if (await unit.tx.product.count({ where: { category: '母婴' } }))
      await unit.tx.$executeRaw`
        INSERT INTO "FollowUpRule" (category, "daysAfter", note) VALUES ('母婴', 7, '询问宝宝使用情况')`;
    const tomorrow = day(1);
    const at = (hour: number) => new Date(tomorrow.getTime() + (hour - 8) * 3_600_000); // Beijing time
    if (associate)
      await bookAppointment(
        unit,
        {
          customerId: customers[2]!.id,
          storeId: store.id,
          staffId: associate,
          resource: '维修台1',
          startsAt: at(10),
          endsAt: at(11),
          note: '电动牙刷检测',
          ticketId: null,
        },
        manager,
        now,
      );
    await bookAppointment(
      unit,
      {
        customerId: customers[1]!.id,
        storeId: store.id,
        staffId: null,
        resource: '母婴咨询室',
        startsAt: at(14),
        endsAt: at(15),
        note: '奶粉冲调指导',
        ticketId: null,
      },
      manager,
      now,
    );
  });
}
