"""Prose for generated portals: titles, paragraphs, sources, comments, all seeded.

Sentences come from the bundled sample portal's hand-written 范文 (read-only) mixed with
sentences built from a small grammar, so thousands of articles do not share whole
paragraphs (which would make unrelated articles near-duplicates). Every string returned
here is already in the corpus's normalised form: no full-width letters or digits, no
U+3000 / NBSP / zero-width characters, no HTML entities, no leading or trailing spaces.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

SENTENCE = re.compile(r"[^。！？]+[。！？]")
# Characters the corpus normalisation would rewrite: a sentence holding one is skipped.
NOT_NORMAL = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0\u200b-\u200d"
                        r"\u2060\ufeff&<>\t]|\s{2,}")
SUBJECTS = ["我们", "全体干部职工", "各级党组织", "项目组", "学校", "社区", "公司", "本部门",
            "各班组", "团支部", "教研室", "志愿服务队", "财务科", "办公室", "车间", "村两委"]
VERBS = ["认真落实", "深入推进", "扎实开展", "全面完成", "持续加强", "积极探索", "统筹做好",
         "稳步推进", "切实抓好", "不断完善"]
OBJECTS = ["安全生产责任制", "年度重点工作", "作风建设", "制度建设", "业务培训", "服务质量提升",
           "环境整治", "成本控制", "数据统计分析", "群众满意度调查", "课堂教学改革",
           "档案规范化管理", "应急演练", "结对帮扶", "文明创建", "设备巡检", "廉政风险排查"]
RESULTS = ["取得了明显成效", "各项指标均有提升", "群众反映良好", "为下一步工作打下了基础",
           "形成了一批可复制的经验", "较好地完成了预定目标", "工作效率提高了{n}%",
           "累计开展活动{n}次", "覆盖人数达到{n}人", "问题整改率达到{p}%"]
OPENERS = ["一年来，", "今年以来，", "在上级的正确领导下，", "按照工作部署，", "回顾过去，",
           "从{m}月份开始，", "通过这次学习，", "实践证明，", ""]
# Used in titles.
TOPICS = {
    "总结": ["个人工作总结", "年终工作总结", "半年工作总结", "述职述廉报告", "工作情况汇报"],
    "计划": ["工作计划", "学期工作计划", "年度工作要点", "实施方案", "活动方案"],
    "讲话": ["动员大会讲话稿", "表彰大会上的讲话", "开学典礼致辞", "座谈会发言稿", "主持词"],
    "心得": ["学习心得体会", "培训心得", "读后感", "观后感", "实习报告"],
    "合同": ["劳动合同范本", "租赁合同", "采购合同", "委托协议书", "合作协议"],
    "其他": ["申请书", "倡议书", "自我鉴定", "调研报告", "感谢信"],
}
UNITS = ["社区", "医院", "小学", "中学", "乡镇", "公司", "银行", "税务局", "幼儿园", "供电所",
         "派出所", "街道办", "物业", "车间", "大学", "卫生院", "图书馆", "学院"]
SOURCES = ["本站原创", "网络", "互联网", "本站整理", "人民网", "中国教育报", "新华网", "网友投稿",
           "原创投稿", "学习强国", "党建网", "范文网整理"]
AUTHORS = ["admin", "编辑部", "小编", "佚名", "张晓明", "李文", "王静", "liuyang", "陈思", "赵敏"]
COMMENT_USERS = ["匿名网友", "游客", "青青河边草", "xiaoli2008", "春天的风", "晨曦", "路人甲",
                 "baiyun88", "小太阳", "清风徐来"]
COMMENT_TEXTS = ["写得很好，借鉴了，谢谢小编！", "内容很实用，正好单位要写这个材料。",
                 "能不能出一个word版本的，复制格式有点乱。", "结构清晰，条理分明，收藏了。",
                 "第二部分写得特别到位，学习了。", "顶一个，楼主辛苦了。", "已下载，非常感谢分享！",
                 "希望多更新一些类似的范文。"]
# Names with characters outside GB2312 (in GBK) and outside GBK (GB18030 only).
GBK_ONLY_NAMES = ["王喆", "李堃", "张珺", "陈祎", "刘昇", "周琇"]
GB18030_ONLY_NAMES = ["吴㐂", "郑㙟", "孙䶮"]


@lru_cache(maxsize=1)
def sample_sentences() -> tuple[str, ...]:
    """Distinct sentences of the sample portal's hand-written articles (read-only import)."""
    try:
        from fanwen_crawler.sample_portal.texts import clean, load_specs
    except ImportError:  # the generator also runs without the crawler installed
        return ()
    seen: dict[str, None] = {}
    for spec in load_specs():
        for page in spec.pages:
            for raw in page:
                for s in SENTENCE.findall(clean(raw)):
                    s = s.strip()
                    if len(s) >= 8 and not s.startswith("篇") and not NOT_NORMAL.search(s):
                        seen[s] = None
    return tuple(seen)


def grammar_sentence(rng: random.Random) -> str:
    """One generated sentence: opener, subject, verb, object, result."""
    result = rng.choice(RESULTS).format(n=rng.randint(3, 980), p=rng.randint(80, 100))
    opener = rng.choice(OPENERS).format(m=rng.randint(1, 12))
    return (f"{opener}{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
            f"{result}。")


def sentence(rng: random.Random) -> str:
    pool = sample_sentences()
    if pool and rng.random() < 0.6:
        return rng.choice(pool)
    return grammar_sentence(rng)


def paragraphs(rng: random.Random, chars: int, name: str | None = None) -> list[str]:
    """Paragraphs of about `chars` characters (2–5 sentences each, the last may be shorter)."""
    out: list[str] = []
    total = 0
    while total < chars:
        n = rng.randint(2, 5) if chars - total > 120 else 1
        para = "".join(sentence(rng) for _ in range(n))
        out.append(para)
        total += len(para)
    if name:
        i = rng.randrange(len(out))
        out[i] = f"{name}同志在会上指出，{out[i]}"
    return out


def title(rng: random.Random, group: str, year: int, serial: int) -> str:
    topic = rng.choice(TOPICS.get(group, TOPICS["其他"]))
    unit = rng.choice(UNITS)
    form = rng.randrange(4)
    if form == 0:
        return f"{year}年{unit}{topic}"
    if form == 1:
        return f"{unit}{topic}范文（{serial}）"
    if form == 2:
        return f"{year}年{topic}{rng.choice(['精选', '通用', '最新', '优秀'])}{serial}篇"
    return f"关于{unit}{topic}的范文{serial}"
