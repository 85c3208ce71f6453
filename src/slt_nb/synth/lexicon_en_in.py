"""Indian English lexicon in the style of iSign (ISL news bulletins mixed with daily-life sentences).

A different mix from How2Sign's and OpenASL's: short everyday statements and questions (family,
food, travel, school, festivals) beside news items (government schemes, accidents, prices in
rupees). Glosses follow an ISL-like order: time first, subject, object or place, verb last;
question words and negation at the end. Casing and articles by :func:`.lexicon_en.finish`.
See :mod:`.grammar` for the format.
"""

from __future__ import annotations

from .lexicon_en import finish
from .lexicon_util import objs, plain

DOMAINS = ("daily", "news", "travel", "education", "health", "festival")

FORMS = {
    "obj": ("the", "a"),
    "verb": ("past", "base"),
    "person": ("subj", "poss"),
}

CATEGORIES: dict[str, list[tuple[str, ...]]] = {
    "past": plain("YESTERDAY:yesterday, MORNING:in the morning, LAST-WEEK:last week, NIGHT:at night, SUNDAY:on Sunday, "
                  "LAST-YEAR:last year, EVENING:in the evening"),
    "future": plain("TOMORROW:tomorrow, NEXT-WEEK:next week, SUNDAY:on Sunday, EVENING:in the evening, NEXT-MONTH:next month, "
                    "TODAY:today"),
    "person": plain("ME:I:my, MY MOTHER:my mother:my mother's, MY FRIEND:my friend:my friend's, TEACHER:the teacher:the teacher's, "
                    "MY BROTHER:my brother:my brother's, MY FATHER:my father:my father's, MY SISTER:my sister:my sister's, "
                    "WE:we:our"),
    "city": plain("DELHI:Delhi, MUMBAI:Mumbai, CHENNAI:Chennai, KOLKATA:Kolkata, BENGALURU:Bengaluru, HYDERABAD:Hyderabad, "
                  "PUNE:Pune, JAIPUR:Jaipur, LUCKNOW:Lucknow"),
    "num": plain("TEN:10, FIFTY:50, HUNDRED:100, FIVE HUNDRED:500, THOUSAND:1000, TWENTY:20, TWO:two, FIVE:five"),
    "group": plain("DEAF PEOPLE:deaf people, STUDENT:students, FARMER:farmers, WOMAN:women, CHILDREN:children, OLD PEOPLE:senior citizens"),
    "daily.place": plain("MARKET:market, SHOP:shop, BANK:bank, PARK:park, BAKERY:bakery"),
    "daily.obj": objs("RICE:rice:some rice, ROTI:roti:some rotis, TEA:tea:some tea, VEGETABLE:vegetables:some vegetables, "
                      "MILK:milk:some milk, DAL:dal:some dal, FRUIT:fruits:some fruits, CLOTHES:clothes:new clothes"),
    "daily.verb": plain("EAT:ate:eat, DRINK:drank:drink, BUY:bought:buy, COOK:cooked:cook, WASH:washed:wash"),
    "news.place": plain("COURT:court, PARLIAMENT:parliament, POLICE STATION:police station, OFFICE:government office"),
    "news.obj": objs("SCHEME:scheme, LAW:law, REPORT:report, RULE:rule, ORDER:order:an order, CARD:ID cards:ID cards"),
    "news.verb": plain("ANNOUNCE:announced:announce, START:started:start, CHANGE:changed:change, GIVE:gave:give, STOP:stopped:stop"),
    "travel.place": plain("TRAIN STATION:railway station, AIRPORT:airport, BUS-STAND:bus stand, VILLAGE:village, TEMPLE:temple"),
    "travel.obj": objs("TRAIN:train, BUS:bus, AUTO:auto:an auto, TICKET:ticket, TAXI:taxi, FLIGHT:flight"),
    "travel.verb": plain("TAKE:took:take, BOOK:booked:book, MISS:missed:miss, WAIT:waited for:wait for"),
    "education.place": plain("SCHOOL:school, COLLEGE:college, LIBRARY:library, CLASS:classroom"),
    "education.obj": objs("BOOK:book, EXAM:exam:an exam, SIGN LANGUAGE:sign language:sign language, HOMEWORK:homework:my homework, "
                          "LESSON:lesson, ENGLISH:English:English"),
    "education.verb": plain("READ:read:read, WRITE:wrote:write, LEARN:learned:learn, TEACH:taught:teach, FINISH:finished:finish"),
    "health.place": plain("HOSPITAL:hospital, CLINIC:clinic, PHARMACY:medical shop"),
    "health.obj": objs("MEDICINE:medicine:some medicine, DOCTOR:doctor, INJECTION:injection:an injection, TEST:blood test, "
                       "FEVER:fever:a fever"),
    "health.verb": plain("TAKE:took:take, MEET:met:meet, GET:got:get, CHECK:checked:check"),
    "festival.place": plain("TEMPLE:temple, MOSQUE:mosque, CHURCH:church, MARKET:market"),
    "festival.obj": objs("SWEET:sweets:some sweets, LAMP:lamps:some lamps, GIFT:gifts:some gifts, COLOUR:colours:colours, "
                         "KITE:kites:some kites, RANGOLI:rangoli:a rangoli"),
    "festival.verb": plain("BUY:bought:buy, LIGHT:lit:light, MAKE:made:make, SHARE:shared:share, FLY:flew:fly"),
    "vehicle": plain("TRAIN:train, BUS:bus, FLIGHT:flight, CAR:car, AUTO:auto, METRO:metro"),
    "festival": plain("DIWALI:Diwali, HOLI:Holi, EID:Eid, PONGAL:Pongal, CHRISTMAS:Christmas, ONAM:Onam"),
}

# Most frequent first (Zipf rank = position).
TEMPLATES: list[tuple[str, str]] = [
    ("{person} went=GO to the {place} {past}.", "{past} {person} {place} GO"),
    ("{person} will=WILL {verb.base} {obj.a} {future}.", "{future} {person} {obj} {verb} WILL"),
    ("{past} {person} {verb} the {obj}.", "{past} {person} {obj} {verb}"),
    ("what=WHAT is your=YOUR name=NAME?", "YOUR NAME WHAT"),
    ("where=WHERE is the {place}?", "{place} WHERE"),
    ("the government=GOVERNMENT announced=ANNOUNCE a new=NEW scheme=SCHEME for {group}.", "GOVERNMENT {group} NEW SCHEME ANNOUNCE"),
    ("{person} did not=NOT {verb.base} the {obj} {past}.", "{past} {person} {obj} {verb} NOT"),
    ("good=GOOD morning=MORNING.", "GOOD MORNING"),
    ("{num} people=PEOPLE were injured=INJURED in an accident=ACCIDENT in {city}.", "{city} ACCIDENT PEOPLE {num} INJURED"),
    ("we=WE celebrate=CELEBRATE {festival} every=EVERY year=YEAR.", "EVERY YEAR WE {festival} CELEBRATE"),
    ("the {obj} costs=PRICE {num} rupees=RUPEE.", "{obj} PRICE {num} RUPEE"),
    ("please=PLEASE come=COME to the {place} {future}.", "{future} {place} COME PLEASE"),
    ("when=WHEN will {person.subj} {verb.base} the {obj}?", "{person} {obj} {verb} WHEN"),
    ("thank=THANK-YOU you.", "THANK-YOU"),
    ("in {city}, {group} asked=ASK the government=GOVERNMENT for {obj.a}.", "{city} {group} GOVERNMENT {obj} ASK"),
    ("{person.poss} house=HOUSE is near=NEAR the {place}.", "{person} HOUSE {place} NEAR"),
    (
        "{past} {person} went=GO to {city} by {vehicle}, and {future} {person2} will=WILL {verb.base} {obj2.a}.",
        "{past} {person} {city} {vehicle} GO {future} {person2} {obj2} {verb} WILL",
    ),
]

__all__ = ["CATEGORIES", "DOMAINS", "FORMS", "TEMPLATES", "finish"]
