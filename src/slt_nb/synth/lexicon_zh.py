"""Chinese daily-life lexicon in the style of CSL-Daily (family, food, shopping, travel, health, weather).

Templates and fillers are written as space-separated *words* (CSL-Daily's ``label_word``);
:func:`finish` joins them without spaces into the sentence (``label_char`` is its characters).
Glosses are Chinese words in a CSL-like sign order: time first, then the person, object or
place before the verb, negation (不, 没有) and question words (什么, 哪里, 多少) at the end;
particles (的, 了, 很, 吗 where not signed) have no gloss. See :mod:`.grammar` for the format.
"""

from __future__ import annotations

DOMAINS = ("daily", "food", "shopping", "travel", "health", "weather")

FORMS: dict[str, tuple[str, ...]] = {}


def _pairs(spec: str) -> list[tuple[str, str]]:
    """'glosses:words, ...' -> fillers; glosses and words are space-separated, a bare item is both."""
    out = []
    for item in spec.split(","):
        gloss, _, words = item.strip().partition(":")
        out.append((gloss, words or gloss))
    return out


def _acts(spec: str) -> list[tuple[str, str]]:
    """'verb object, ...' (the spoken order) -> fillers glossed object first (sign order): ``吃 饺子`` -> ``饺子 吃``."""
    out = []
    for item in spec.split(","):
        words = item.split()
        out.append((" ".join(words[1:] + words[:1]) if len(words) == 2 else " ".join(words), " ".join(words)))
    return out


CATEGORIES: dict[str, list[tuple[str, ...]]] = {
    "time": _pairs("今天, 晚上, 早上, 下午, 周末, 每天, 星期一, 星期天, 中午"),
    "later": _pairs("明天, 今天, 晚上, 明天 早上, 周末, 以后, 下午, 星期天, 下 星期:下 个 星期"),
    "past": _pairs("昨天, 今天, 上午, 前天, 上 星期:上 个 星期, 刚才"),
    "person": _pairs("我, 你, 他, 我们, 妈妈:我 妈妈, 她, 朋友:我 的 朋友, 老师, 爸爸:我 爸爸, 哥哥:我 哥哥, 他们, 孩子:我 的 孩子"),
    "weather": _pairs("下雨, 热:很 热, 冷:很 冷, 晴天:是 晴天, 下雪, 风 大:风 很 大, 多云, 雾:有 雾, 暖和:很 暖和, 凉快:很 凉快"),
    "thing": _pairs("衣服:件 衣服, 手机:个 手机, 苹果:个 苹果, 鞋:双 鞋, 书:本 书, 票:张 票, 西瓜:个 西瓜"),
    "vehicle": _pairs("火车, 地铁, 飞机, 公交车, 出租车, 自行车"),
    "daily.place": _pairs("家, 公园, 学校, 银行, 朋友 家, 邮局"),
    "daily.act": _acts("看 电视, 看 书, 洗 衣服, 打扫 房间, 写 作业, 睡觉, 聊天"),
    "food.place": _pairs("饭店, 食堂, 面馆, 家"),
    "food.act": _acts("吃 饺子, 喝 茶, 吃 面条, 吃 米饭, 做 饭, 吃 水果, 喝 咖啡, 喝 牛奶"),
    "shopping.place": _pairs("商店, 超市, 市场, 商场, 书店"),
    "shopping.act": _acts("买 衣服, 买 菜, 买 鞋, 买 手机, 买 礼物, 换 钱"),
    "travel.place": _pairs("火车站, 机场, 北京, 上海, 广州, 西安"),
    "travel.act": _acts("买 票, 坐 火车, 坐 飞机, 订 酒店, 看 地图, 旅游"),
    "health.place": _pairs("医院, 药店, 诊所"),
    "health.act": _acts("吃 药, 看 医生, 休息, 量 体温, 做 检查, 打针"),
    "weather.place": _pairs("北京, 上海, 南方, 北方, 外面"),
    "weather.act": _acts("带 伞, 穿 外套, 散步, 放 风筝, 出门"),
}

# Most frequent first (Zipf rank = position).
TEMPLATES: list[tuple[str, str]] = [
    ("{person} {later} 要 去=去 {place} 。", "{later} {person} {place} 去"),
    ("{later} {weather} 。", "{later} {weather}"),
    ("{person} {time} {act} 。", "{time} {person} {act}"),
    ("{person} 喜欢=喜欢 {act} 。", "{person} {act} 喜欢"),
    ("你=你 叫=叫 什么=什么 名字=名字 ？", "你 名字 什么"),
    ("{person} 不=不 想=想 {act} 。", "{person} {act} 想 不"),
    ("{person} {time} 在 {place} {act} 。", "{time} {person} {place} {act}"),
    ("这=这 {thing} 多少=多少 钱=钱 ？", "这 {thing} 钱 多少"),
    ("谢谢=谢谢 你=你 的 帮助=帮助 。", "你 帮助 谢谢"),
    ("{place} 在 哪里=哪里 ？", "{place} 哪里"),
    ("{person} 坐=坐 {vehicle} 去=去 {place} 。", "{person} {vehicle} 坐 {place} 去"),
    ("{later} 天气=天气 怎么样=怎么样 ？", "{later} 天气 怎么样"),
    ("{person} {past} 没有=没有 {act} 。", "{past} {person} {act} 没有"),
    ("你=你 好=好 。", "你 好"),
    ("你=你 {later} 有=有 空=空 吗=吗 ？", "{later} 你 空 有 吗"),
    ("{person} 身体=身体 不=不 舒服=舒服 ， {later} 要 去=去 医院=医院 。", "{person} 身体 舒服 不 {later} 医院 去"),
    ("{later} {weather} ， {person} 想=想 去=去 {place} {act} 。", "{later} {weather} {person} {place} {act} 去 想"),
]


def finish(text: str) -> str:
    """The words joined without spaces: ``今天 很 热 。`` -> ``今天很热。``."""
    return "".join(text.split())
