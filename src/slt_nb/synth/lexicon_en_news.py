"""English news lexicon in the style of OpenASL (ASL news programmes: politics, weather, sports ...).

Text is news-caption English (capitalised, past tense for what happened, ``will`` for what is
planned, figures as digits); glosses follow an ASL-like order: time first, then place and topic,
the action or comment last, negation and modals after the verb. Actors, things and actions are
per domain. Casing and articles are fixed by :func:`.lexicon_en.finish`. See :mod:`.grammar`.
"""

from __future__ import annotations

from .lexicon_en import finish
from .lexicon_util import objs, plain

DOMAINS = ("politics", "weather", "sports", "health", "economy", "community")

FORMS = {
    "thing": ("the", "a"),  # noun after "the", noun phrase with its own determiner
    "verb": ("past", "base"),
}

CATEGORIES: dict[str, list[tuple[str, ...]]] = {
    "past": plain("YESTERDAY:yesterday, MONDAY:on Monday, LAST-WEEK:last week, TUESDAY:on Tuesday, FRIDAY:on Friday, "
                  "THIS-MORNING:this morning, WEDNESDAY:on Wednesday, RECENT:recently, LAST-YEAR:last year, THURSDAY:on Thursday"),
    "future": plain("TOMORROW:tomorrow, NEXT-WEEK:next week, SOON:soon, WEEKEND:this weekend, NEXT-MONTH:next month, "
                    "NEXT-YEAR:next year, TONIGHT:tonight"),
    "place": plain("TEXAS:Texas, CALIFORNIA:California, NEW-YORK:New York, FLORIDA:Florida, WASHINGTON:Washington, "
                   "OHIO:Ohio, CHICAGO:Chicago, COLORADO:Colorado, GEORGIA:Georgia, ARIZONA:Arizona, OREGON:Oregon, MARYLAND:Maryland"),
    "num": [("HUNDRED", "100"), ("FIVE HUNDRED", "500"), ("THOUSAND", "1,000"), ("TEN THOUSAND", "10,000"), ("FIFTY", "50"),
            ("MILLION", "a million"), ("TWO HUNDRED", "200"), ("TWENTY", "20")],
    "state": plain("IMPORTANT:important, DANGER:dangerous, READY:ready, FINISH:over, EXPENSIVE:expensive, SAFE:safe, "
                   "BIG:big, SERIOUS:serious"),
    "politics.actor": plain("PRESIDENT:president, GOVERNOR:governor, SENATE:state senate, SENATOR:senator, MAYOR:mayor, "
                            "COURT:court, CITY COUNCIL:city council"),
    "politics.thing": objs("LAW:law, PLAN:plan, BILL:bill, ELECTION:election:an election, VOTE:vote, BUDGET:budget, RULE:rule"),
    "politics.verb": plain("SIGN:signed:sign, ANNOUNCE:announced:announce, APPROVE:approved:approve, REJECT:rejected:reject, "
                           "SUPPORT:supported:support, DISCUSS:discussed:discuss"),
    "weather.actor": plain("FORECAST PERSON:forecasters, OFFICIAL:officials, EMERGENCY TEAM:emergency crews, RESIDENT:residents"),
    "weather.thing": objs("STORM:storm, HURRICANE:hurricane, FLOOD:flood, SNOW:snowstorm, HEAT WAVE:heat wave, FIRE:wildfire, "
                          "TORNADO:tornado"),
    "weather.verb": plain("WARN:warned about:warn about, TRACK:tracked:track, PREPARE:prepared for:prepare for, "
                          "REPORT:reported:report, FIGHT:fought:fight"),
    "sports.actor": plain("TEAM:team, COACH:coach, PLAYER:players, FAN:fans, DEAF TEAM:Deaf team"),
    "sports.thing": objs("GAME:game, CHAMPIONSHIP:championship, SEASON:season, MATCH:match, RECORD:record, TROPHY:trophy, "
                         "OLYMPICS:Olympics:the Olympics"),
    "sports.verb": plain("WIN:won:win, LOSE:lost:lose, PLAY:played:play, CELEBRATE:celebrated:celebrate, BREAK:broke:break"),
    "health.actor": plain("DOCTOR:doctors, HOSPITAL:hospital, RESEARCHER:researchers, HEALTH OFFICIAL:health officials, NURSE:nurses"),
    "health.thing": objs("VACCINE:vaccine, VIRUS:virus, STUDY:study, TEST:test, MEDICINE:medicine:a new medicine, MASK:masks:masks"),
    "health.verb": plain("RECOMMEND:recommended:recommend, TEST:tested:test, FIND:found:find, SHARE:shared:share, "
                         "DEVELOP:developed:develop"),
    "economy.actor": plain("COMPANY:company, BANK:bank, WORKER:workers, STORE:stores, BUSINESS OWNER:business owners"),
    "economy.thing": objs("PRICE:prices:higher prices, JOB:jobs:new jobs, MARKET:market, TAX:taxes:new taxes, "
                          "SALARY:wages:higher wages, GAS:gas prices:gas prices"),
    "economy.verb": plain("RAISE:raised:raise, CUT:cut:cut, ADD:added:add, LOSE:lost:lose, PAY:paid:pay"),
    "community.actor": plain("DEAF COMMUNITY:Deaf community, STUDENT:students, VOLUNTEER:volunteers, SCHOOL:school, "
                             "INTERPRETER:interpreters"),
    "community.thing": objs("FESTIVAL:festival, EVENT:event:an event, INTERPRETER:interpreter:an interpreter, "
                            "CLASS:ASL class:an ASL class, PARADE:parade, PROTEST:protest"),
    "community.verb": plain("ORGANIZE:organized:organize, JOIN:joined:join, REQUEST:requested:request, HOST:hosted:host, "
                            "ATTEND:attended:attend"),
}

# Most frequent first (Zipf rank = position). Text is lowercase here but for proper nouns.
TEMPLATES: list[tuple[str, str]] = [
    ("{past} the {actor} {verb} {thing.a}.", "{past} {actor} {thing} {verb}"),
    ("the {actor} in {place} {verb} the {thing} {past}.", "{past} {place} {actor} {thing} {verb}"),
    ("{future} the {actor} will=WILL {verb.base} the {thing}.", "{future} {actor} {thing} {verb} WILL"),
    ("this=THIS is breaking=BREAKING news=NEWS.", "BREAKING NEWS THIS"),
    ("many=MANY people=PEOPLE in {place} are worried=WORRY about the {thing}.", "{place} PEOPLE MANY {thing} WORRY"),
    ("the {actor} said=SAY the {thing} is {state}.", "{actor} SAY {thing} {state}"),
    ("hello=HELLO and welcome=WELCOME to the news=NEWS.", "HELLO NEWS WELCOME"),
    ("more=MORE than {num} people=PEOPLE attended=ATTEND the {thing} in {place}.", "{place} {thing} PEOPLE {num} MORE ATTEND"),
    ("the {actor} did not=NOT {verb.base} the {thing}.", "{actor} {thing} {verb} NOT"),
    ("thank=THANK-YOU you for watching=WATCH.", "THANK-YOU WATCH"),
    ("the {thing} could=MAYBE affect=AFFECT {num} people=PEOPLE in {place}.", "{place} {thing} PEOPLE {num} AFFECT MAYBE"),
    ("officials=OFFICIAL asked=ASK people=PEOPLE to stay=STAY safe=SAFE.", "OFFICIAL PEOPLE SAFE STAY ASK"),
    ("we will=WILL keep=KEEP you informed=INFORM.", "INFORM KEEP WILL"),
    ("{past} in {place}, the {actor} {verb} {thing.a}, and the {actor2} {verb2} it.", "{past} {place} {actor} {thing} {verb} {actor2} {verb2}"),
    ("why=WHY did the {actor} {verb.base} the {thing}?", "{actor} {thing} {verb} WHY"),
    ("that's all=ALL for today=TODAY.", "TODAY ALL"),
    (
        "{past} the {actor} in {place} {verb} {thing.a}, and {future} the {actor2} will=WILL {verb2.base} the {thing2}.",
        "{past} {place} {actor} {thing} {verb} {future} {actor2} {thing2} {verb2} WILL",
    ),
]

__all__ = ["CATEGORIES", "DOMAINS", "FORMS", "TEMPLATES", "finish"]
