/**
 * text.js — every piece of Chinese text the console shows that depends on
 * a protocol value: topic names, lawyer states, end and withdraw reasons,
 * error codes, quality grades. Protocol keys (English, see the
 * `hub-protocol` crate) map to what the lawyer reads; unknown keys are shown
 * as they are rather than hidden.
 */

/** Topic keys shared with the terminals and the lawyers' skills. */
export const TOPICS = {
  labor: '劳动争议',
  family: '婚姻家庭',
  land: '土地承包',
  debt: '借贷纠纷',
  housing: '房屋租赁',
  traffic: '交通事故',
  consumer: '消费维权',
  inheritance: '继承',
  neighbor: '邻里纠纷',
  criminal: '刑事',
  administrative: '行政',
  other: '其他',
};

export function topicName(key) {
  return TOPICS[key] || key;
}

export const LAWYER_STATES = {
  away: '暂离',
  available: '值班中',
  ringing: '来电中',
  busy: '通话中',
};

export const END_REASONS = {
  hung_up_by_lawyer: '您已挂断',
  hung_up_by_terminal: '群众已挂断',
  lawyer_lost: '您的网络中断时间过长，通话已结束',
  terminal_lost: '终端网络中断时间过长，通话已结束',
  no_lawyer: '无律师值班，通话已结束',
  timeout: '等待超时，通话已结束',
};

export const WITHDRAW_REASONS = {
  timeout: '未在规定时间内接听，来电已转给其他律师，您的状态已改为暂离',
  cancelled: '群众已取消咨询',
  declined: '您已拒绝该来电',
};

export const ERRORS = {
  unauthenticated: '登录已过期，请重新登录。',
  bad_message: '与调度中心通信出错，正在重新连接。',
  too_large: '发送的内容过长。',
  rate_limited: '操作过于频繁，正在重新连接。',
  replaced: '您的账号已在其他窗口或设备上打开控制台，本页面已断开。',
  timeout: '与调度中心的连接超时，正在重新连接。',
  not_allowed: '当前状态下不能进行此操作。',
  unknown_call: '该通话已不存在。',
  invalid: '内容为空或过长，请检查后重试。',
  internal: '调度中心暂时出错，请稍后重试。',
};

export function errorText(code) {
  return ERRORS[code] || '发生未知错误，请稍后重试。';
}

export const QUALITY = {
  good: '通话质量：良好',
  fair: '通话质量：一般',
  poor: '通话质量：较差',
  none: '通话质量：暂无媒体',
  connecting: '正在建立连接…',
};

/** "3分05秒" / "1小时02分" for waiting times. */
export function duration(secs) {
  secs = Math.max(0, Math.floor(secs));
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (h > 0) return `${h}小时${String(m).padStart(2, '0')}分`;
  if (m > 0) return `${m}分${String(s).padStart(2, '0')}秒`;
  return `${s}秒`;
}

/** "05:07" or "1:05:07" for the call timer. */
export function clock(secs) {
  secs = Math.max(0, Math.floor(secs));
  const h = Math.floor(secs / 3600);
  const mm = String(Math.floor((secs % 3600) / 60)).padStart(2, '0');
  const ss = String(secs % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function dateTime(unixSecs) {
  const d = new Date(unixSecs * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
