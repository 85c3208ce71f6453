"""English instructional lexicon in the style of How2Sign (cooking, crafts, sports tips ...).

Text gets normal casing and punctuation (see :func:`finish`); glosses follow an ASL-like
topic-comment order: the object first, then the action, time/sequence markers last. Objects,
verbs, tools and topics are per domain. See :mod:`.grammar` for the format.
"""

from __future__ import annotations

import re

from .lexicon_util import objs as _objs
from .lexicon_util import plain as _plain
from .lexicon_util import verbs as _verbs

DOMAINS = ("cooking", "sports", "crafts", "gardening", "music", "beauty")

FORMS = {
    "obj": ("the", "a"),  # noun after "the", noun phrase with its own determiner
    "verb": ("base", "ing"),
}


CATEGORIES: dict[str, list[tuple[str, ...]]] = {
    "cooking.obj": _objs("ONION:onion, GARLIC:garlic:some garlic, CHICKEN:chicken:some chicken, POTATO:potatoes:a few potatoes, "
                         "EGG:eggs:two eggs, TOMATO:tomatoes:some tomatoes, BUTTER:butter:some butter, DOUGH:dough:some dough, "
                         "SAUCE:sauce:a simple sauce, RICE:rice:some rice"),
    "cooking.verb": _verbs("CUT:cut:cutting, ADD:add, STIR:stir:stirring, CHOP:chop:chopping, MIX:mix, BOIL:boil, FRY:fry, "
                           "PEEL:peel, SLICE:slice:slicing, BAKE:bake:baking"),
    "cooking.tool": _plain("KNIFE:knife, PAN:pan, POT:pot, BOWL:bowl, SPOON:wooden spoon, BOARD:cutting board"),
    "cooking.topic": _plain("COOK:cooking, BREAD BAKE:baking bread, PASTA:making pasta"),
    "sports.obj": _objs("BALL:ball, KNEE:knees:your knees, ARM:arms:your arms, BACK:back:your back, CLUB:golf club, "
                        "WEIGHT:weight, LEG:legs:your legs, SHOULDER:shoulders:your shoulders, FOOT:feet:your feet"),
    "sports.verb": _verbs("HOLD:hold, SWING:swing, STRETCH:stretch, THROW:throw, BEND:bend, LIFT:lift, KICK:kick, "
                          "ROTATE:rotate:rotating, CATCH:catch, BOUNCE:bounce:bouncing"),
    "sports.tool": _plain("MAT:mat, BAND:resistance band, GLOVE:glove, SHOE:running shoes"),
    "sports.topic": _plain("BASKETBALL:basketball, GOLF:golf, YOGA:yoga, EXERCISE:exercises"),
    "crafts.obj": _objs("PAPER:paper:a sheet of paper, YARN:yarn:some yarn, FABRIC:fabric:a piece of fabric, KNOT:knot, "
                        "BEAD:beads:some beads, CARD:card, THREAD:thread:a piece of thread, BOX:box"),
    "crafts.verb": _verbs("FOLD:fold, TIE:tie:tying, CUT:cut:cutting, SEW:sew, GLUE:glue:gluing, PAINT:paint, KNIT:knit:knitting, "
                          "WRAP:wrap:wrapping, PULL:pull, TWIST:twist"),
    "crafts.tool": _plain("SCISSORS:scissors, NEEDLE:needle, BRUSH:brush, GLUE-GUN:glue gun, PENCIL:pencil"),
    "crafts.topic": _plain("KNIT:knitting, ORIGAMI:origami, JEWELRY:jewelry, SEW:sewing"),
    "gardening.obj": _objs("PLANT:plants:your plants, SOIL:soil:some soil, SEED:seeds:some seeds, ROSE:roses:your roses, "
                           "TREE:tree, ROOT:roots:the roots, FLOWER:flowers:some flowers, LEAF:leaves:the leaves"),
    "gardening.verb": _verbs("WATER:water, DIG:dig:digging, TRIM:trim:trimming, COVER:cover, FEED:fertilize:fertilizing, "
                             "MOVE:move:moving, PRESS:press, SPREAD:spread:spreading"),
    "gardening.tool": _plain("SHOVEL:shovel, HOSE:hose, SHEARS:pruning shears, RAKE:rake"),
    "gardening.topic": _plain("GARDEN:gardening, ROSE:growing roses, VEGETABLE:vegetables"),
    "music.obj": _objs("GUITAR:guitar, STRING:strings:the strings, CHORD:chord, NOTE:note, DRUM:drum, SONG:song, "
                       "RHYTHM:rhythm:a simple rhythm, PIANO:piano"),
    "music.verb": _verbs("PLAY:play, STRUM:strum:strumming, TUNE:tune:tuning, PRESS:press, TAP:tap:tapping, "
                         "PRACTICE:practice:practicing, HIT:hit:hitting, COUNT:count"),
    "music.tool": _plain("PICK:pick, STICK:drumsticks, METRONOME:metronome"),
    "music.topic": _plain("GUITAR:the guitar, DRUM:drums, PIANO:the piano, SING:singing"),
    "beauty.obj": _objs("HAIR:hair:your hair, BRAID:braid, NAIL:nails:your nails, FACE:face:your face, CURL:curls:some curls, "
                        "LIPSTICK:lipstick:some lipstick, SKIN:skin:your skin"),
    "beauty.verb": _verbs("BRUSH:brush, COMB:comb, PUT-ON:apply:applying, BRAID:braid, WASH:wash, DRY:dry, BLEND:blend, SPRAY:spray"),
    "beauty.tool": _plain("COMB:comb, DRYER:hair dryer, SPONGE:sponge, CLIP:clip"),
    "beauty.topic": _plain("HAIR:hair styling, MAKEUP:makeup, NAIL:nail care"),
    "seq": [("FIRST", "first,"), ("NEXT", "next,"), ("NOW", "now"), ("THEN", "then"), ("FINISH", "after that,"), ("LAST", "finally,")],
    "manner": _plain("SLOW:slowly, CAREFUL:carefully, GENTLE:gently, FAST:quickly, EVEN:evenly, FIRM:firmly"),
    "adj": _plain("GOOD:good, BIG:big, SMALL:small, SHARP:sharp, CLEAN:clean, HEAVY:heavy, SOFT:soft"),
    "state": _plain("READY:ready, SOFT:soft, STRAIGHT:straight, TIGHT:tight, FINISH:done, DRY:dry, SMOOTH:smooth, LOOSE:loose"),
    "num": _plain("FIVE:five, TEN:ten, TWO:two, THREE:three, FIFTEEN:fifteen, TWENTY:twenty, THIRTY:thirty"),
    "name": _plain("MIKE:Mike, SARAH:Sarah, JOHN:John, MARIA:Maria"),
}

# Most frequent first (Zipf rank = position). Text is lowercase here; :func:`finish` fixes case.
TEMPLATES: list[tuple[str, str]] = [
    ("{seq} you {verb} the {obj}.", "{obj} {verb} {seq}"),
    ("make sure=IMPORTANT you {verb} the {obj} {manner}.", "{obj} {verb} {manner} IMPORTANT"),
    ("you want=WANT to use=USE a {adj} {tool} for this=THIS.", "THIS {tool} {adj} USE WANT"),
    ("i'm=ME going to show=SHOW you=YOU how=HOW to {verb} {obj.a}.", "{obj} {verb} HOW ME SHOW YOU"),
    ("now=NOW we're going to {verb} the {obj} for about {num} minutes=MINUTE.", "NOW {obj} {verb} {num} MINUTE"),
    ("you can see=SEE how the {obj} is {state} now=NOW.", "NOW {obj} {state} SEE"),
    ("this=THIS is a really=REALLY {adj} {tool}.", "THIS {tool} {adj} REALLY"),
    ("be careful=CAREFUL not=NOT to {verb} the {obj} too=TOO much.", "{obj} {verb} TOO NOT CAREFUL"),
    ("thank=THANK-YOU you for watching=WATCH.", "THANK-YOU WATCH"),
    ("hi=HELLO, my name=NAME is {name}.", "HELLO NAME {name}"),
    ("today=TODAY i'm going to talk=TALK about {topic}.", "TODAY {topic} TALK"),
    ("{seq} you {verb} the {obj}, and then=THEN you use=USE your {tool} to {verb2} the {obj2}.",
     "{obj} {verb} {seq} THEN {tool} USE {obj2} {verb2}"),
    ("{verb.ing} the {obj} {manner} is the most=MOST important=IMPORTANT part=PART.", "{obj} {verb} {manner} PART MOST IMPORTANT"),
    ("that's all=ALL.", "ALL"),
    ("if=IF you {verb} the {obj} too=TOO {manner}, it won't=NOT work=WORK.", "{obj} {verb} {manner} TOO IF WORK NOT"),
    ("i=ME like=LIKE to {verb} {obj.a} with a {adj} {tool}.", "{obj} {adj} {tool} {verb} LIKE ME"),
    (
        (
            "{seq} you {verb} the {obj} {manner}, then=THEN you use=USE your {tool} to {verb2} the {obj2}, "
            "and after=AFTER about {num} minutes=MINUTE it should be {state}."
        ),
        "{obj} {verb} {manner} {seq} THEN {tool} USE {obj2} {verb2} {num} MINUTE AFTER {state}",
    ),
]


def finish(text: str) -> str:
    """How2Sign-style casing: capitalised sentence, 'I', and 'a' -> 'an' before a vowel."""
    words = text.split()
    for i, w in enumerate(words):
        if w == "i" or w.startswith("i'"):
            words[i] = "I" + w[1:]
        if w == "a" and i + 1 < len(words) and words[i + 1][0] in "aeiou":
            words[i] = "an"
    text = " ".join(words)
    text = re.sub(r"\s+([.,])", r"\1", text)
    return text[0].upper() + text[1:]
