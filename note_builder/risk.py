"""Risk findings in one transcript sentence: what was said, by whom, and whether it is current.

Targets are spoken-language pattern families per kind (first person, with fillers,
inflections and apostrophe-less contractions as ASR writes them); :mod:`note_builder.context`
decides whether each is negated, hypothetical, historical or someone else's. A finding
quotes its evidence: ``cue`` is the exact substring of the sentence at ``span``.

Status: the ConText status of the target, then the speaker: a therapist's sentence is a
screening ``question`` (or negated / hypothetical / historical / other_person when its
modifiers say so) and never ``current``; any speaker asking "have you ...?" about
"yourself" is a ``question`` too. Role ``None`` or ``"unknown"`` is treated as the client.

Severity, for ``current`` findings only (everything else is ``low``):

* suicidal_ideation: ``high`` with a plan, intent, means, a timeline, preparation or an
  attempt (:func:`plan_indicators`); otherwise ``moderate`` (active or passive ideation);
* homicidal_ideation: ``high`` with a plan, intent, means or a timeline; else ``moderate``;
* self_harm: ``high`` when medically serious (stitches, the ER, "too deep"); else ``moderate``;
* abuse_neglect: ``high`` for strangulation, a weapon, a threat to kill, sexual abuse,
  violence against a child, or an injury; else ``moderate`` (including neglect);
* substance_danger: ``high`` for an overdose; else ``moderate``.

>>> [(f.kind, f.status, f.severity) for f in detect_risk("I have the pills saved up")]
[('suicidal_ideation', 'current', 'high')]
>>> detect_risk("this job is killing me")
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from note_builder import context
from note_builder.context import HYPOTHETICAL, OTHER_EXPERIENCER, SentenceContext

SUICIDAL_IDEATION = "suicidal_ideation"
HOMICIDAL_IDEATION = "homicidal_ideation"
SELF_HARM = "self_harm"
ABUSE_NEGLECT = "abuse_neglect"
SUBSTANCE_DANGER = "substance_danger"
KINDS = (SUICIDAL_IDEATION, HOMICIDAL_IDEATION, SELF_HARM, ABUSE_NEGLECT, SUBSTANCE_DANGER)

THERAPIST_ROLES = frozenset(
    {"therapist", "clinician", "provider", "counselor", "counsellor", "psychologist",
     "psychiatrist", "social worker", "doctor"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RiskFinding:
    """One risk statement in a sentence, with the quote that supports it."""

    #: suicidal_ideation | homicidal_ideation | self_harm | abuse_neglect | substance_danger
    kind: str
    #: "high" | "moderate" | "low" ("low" for everything that is not current)
    severity: str
    #: True only for present risk of the speaker
    current: bool
    #: "current" | "negated" | "hypothetical" | "historical" | "other_person" | "question"
    status: str
    #: the exact matched substring of the text (evidence quote)
    cue: str
    #: character offsets of ``cue`` in the text
    span: tuple[int, int]
    #: ConText categories that applied to the cue, plus "QUESTION"
    modifiers: tuple[str, ...]


# ----------------------------------------------------------------------------- patterns
#
# Pure fillers ("um", "you know", "honestly") are cut from the text before matching. A
# space in a pattern is a word gap that may still hold a few hedges that can also carry
# meaning ("like", "just", "really"); " ?" makes the gap optional. A pattern may name a
# group "cue": then only that group is the target (the words around it are context).

_SEP = r"[\s,\-\u2013\u2014\u2026\"]+"
_PURE_FILLER_RE = re.compile(
    r"(?<![a-z0-9'])(?:um+|uh+|uhm|erm|hmm+|ah|you know|y'?know|i mean|kind of|kinda|sort of|"
    r"sorta|honestly|actually|literally|basically|seriously|totally|truly|genuinely|"
    r"definitely|lowkey|low key)(?![a-z0-9'])[\s,\-\u2013\u2014\u2026\"]*"
)
_HEDGE = (
    r"(?:like|just|really|so|even|ever|all|still|also|always|sometimes|maybe|often|very|"
    r"pretty|almost|keep|kept|constantly)"
)
_GAP = f"(?:{_SEP}(?:{_HEDGE}{_SEP}){{0,3}})"

_MACROS = {
    "REFL": r"(?:my ?self|me ?self|your ?self|him ?self|her ?self|them ?sel(?:f|ves)|"
    r"our ?sel(?:f|ves)|one ?self)",
    "POSS": r"(?:my|your|his|her|their|our)",
    "WANT": r"(?:want(?:s|ed|ing)?(?: to)?|wanna|wantin(?: to)?|wish(?:ed|es|ing)? (?:i )?"
    r"(?:could|would|can|to)|feel(?:s|ing)? like|felt like|ready to|deserve(?:s|d)? to|"
    r"(?:would|'?d|id) rather|rather|hop(?:e|ed|ing) (?:that )?(?:i|to)|pray(?:ed|ing)? "
    r"(?:that )?(?:i|to)|long(?:ing)? to|need to|should just|might as well|want to just|"
    r"(?:would |'?d )?prefer(?:red)? to|(?:am|i'?m) ready to|waiting to|wait(?:ing)? for "
    r"(?:the day i|when i))",
    "DEAD": r"(?:die|dying|be dead|just die|not exist|stop existing|not be (?:alive|here|around)|"
    r"(?:go to sleep|fall asleep|sleep|go to bed) and (?:never|not) wake up|"
    r"not live|stop living|sleep forever|go to sleep forever|not be born|be gone|"
    r"disappear(?: forever| for good| permanently)?(?! (?:into|to|for (?:a|the|an)|on|from|"
    r"somewhere|under|in (?:a|the)|off))|vanish(?: forever| for good)?|"
    r"(?:i )?(?:don'?t|won'?t|wouldn'?t|would not|will not|do not|did not|didn'?t|never|not) "
    r"(?:wake|waking) up)",
    "KIDS": r"(?:(?:my|the|our|his|her) (?:(?:little|youngest|oldest|older|younger|two|three|"
    r"teenage|\d+ year old) )?(?:kids?|son|daughter|children|baby|babies|toddler|newborn|infant|"
    r"little (?:one|ones|boy|girl)|boy|girl|step ?(?:son|daughter|kids?)|(?:\d+|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen) ?(?:year|yr|"
    r"month|week) ?olds?))(?!'s\b)",
    "SIBLING": r"(?:my (?:little |baby |younger |big |older )?(?:brother|sister|siblings))",
    "PERSON": r"(?:(?:my|his|her|our|that|the|this) (?:boss|husband|wife|ex|ex ?husband|ex ?wife|"
    r"ex ?boyfriend|ex ?girlfriend|dad|father|mom|mother|stepdad|step ?father|stepmom|"
    r"step ?mother|brother|sister|partner|boyfriend|girlfriend|roommate|neighbou?r|coworker|"
    r"co ?worker|manager|supervisor|son|daughter|kids?|children|baby|family|teacher|landlord|"
    r"uncle|aunt|cousin|in ?laws?|abuser|rapist|attacker|guy|man|woman|girl|dude|lady|person|"
    r"step ?(?:brother|sister|son|daughter)|grand(?:ma|pa|mother|father)|colleague|housemate|"
    r"bitch|bastard|asshole|jerk|driver))",
    "PEOPLE": r"(?:him|her|them|'?em|someone|somebody|some one|people|everyone|everybody|"
    r"others|other people|anyone|anybody|(?:the|that|this) (?:guy|man|woman|girl|kid|boss|"
    r"teacher|neighbou?r|bastard|asshole|bitch|driver|dude|lady|person|jerk|people|ones|guys|"
    r"men|women|kids)|(?:those|these) (?:people|guys|kids|men|women)|children|kids|babies|"
    r"a (?:child|kid|baby|stranger|cop|woman|man|person)|(?:random )?strangers|cops|police|"
    r"{KIDS}|(?:all|both|each|every one|some|any|one|the rest) of (?:them|'?em|those \w+|"
    r"these \w+|you)|(?:them|'?em|you) all|"
    r"(?:my|his|her|our) (?:boss|husband|wife|ex|ex ?husband|ex ?wife|ex ?boyfriend|"
    r"ex ?girlfriend|dad|father|mom|mother|stepdad|step ?father|stepmom|step ?mother|"
    r"brother|sister|partner|boyfriend|girlfriend|roommate|neighbou?r|coworker|co ?worker|"
    r"manager|supervisor|son|daughter|kids?|children|baby|family|teacher|landlord|uncle|"
    r"aunt|cousin|in ?laws?|abuser|rapist|attacker|new (?:boyfriend|girlfriend)|"
    r"step ?(?:brother|sister|son|daughter)|"
    r"grand(?:ma|pa|mother|father)|mother in law|father in law|colleague|housemate|flatmate))",
    "HARMV": r"(?:kill(?:s|ed|ing|in)?|murder(?:s|ed|ing)?|strangl(?:e|es|ed|ing)|"
    r"stab(?:s|bed|bing)?|shoot(?:s|ing)?|shot|smother(?:ed|ing)?|poison(?:ed|ing)?|"
    r"choke|choking|hurt(?:s|ing)?|harm(?:s|ed|ing)?|hit(?:ting)?|punch(?:ing)?|"
    r"beat(?:ing)?(?: up)?|attack(?:ing)?|torture|torturing|run over|running over|"
    r"break (?:his|her|their) (?:neck|face|legs?|arms?|jaw))",
    "INTENT": r"(?:want(?:s|ed)? to|wanna|going to|gonna|gon|will|'?ll|ill|could|would|'?d|"
    r"might|about to|ready to|plan(?:ning|ned)? (?:to|on)|urges? to|tempted to|"
    r"thinking (?:about|of)|thought (?:about|of)|think(?:s)? (?:about|of)|thoughts (?:of|about)|"
    r"fantasi[sz](?:e|ed|"
    r"ing) about|dream(?:ing|ed)? (?:of|about)|feel like|felt like|so close to|close to|"
    r"(?:afraid|scared|worried|terrified) (?:that )?i(?:'?ll| will| might| could| would)|"
    r"try(?:ing)? not to|urge to|impulse to|itching to|imagin(?:e|ed|es|ing)|pictur(?:e|ed|ing)|"
    r"tell(?:s|ing)? me to|told me to|command(?:s|ing)? me to|"
    r"visualiz(?:e|ed|ing)|obsess(?:ed|ing)? (?:about|over))",
    "NUM": r"(?:a few|a couple(?: of)?|several|many|too many|\d+|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a dozen|a lot of|lots of|a bunch of)"
    r"(?: or (?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|more))?",
    "ALCOHOL": r"(?:alcohol|vodka|booze|drinking|drinks|beer|beers|wine|liquor|whiskey|"
    r"whisky|tequila|rum|gin|shots|alcohol)",
    "PILLS": r"(?:pills|xanax|xannies|bars|benzos?|klonopin|valium|ativan|oxy(?:s|codone|"
    r"contin)?|opioids|opiates|percs|percocets?|painkillers|pain killers|sleeping pills|meds|"
    r"medications?|fentanyl|heroin|ambien|norcos?|vicodin|tramadol|methadone|suboxone)",
}


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str
    source: str
    tags: frozenset[str]
    person: bool  # the cue's pronouns say whose risk it is ("myself" vs "himself")

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.source)


def _expand(source: str) -> str:
    """Macros in, their own spaces as plain separators (a noun phrase holds no hedges)."""
    while "{" in source and any("{" + name + "}" in source for name in _MACROS):
        for name, value in _MACROS.items():
            source = source.replace("{" + name + "}", value)
    return source.replace(" ", f"(?:{_SEP})")


_EXPANDED = {name: _expand(value) for name, value in _MACROS.items()}


@cache
def _compile(source: str) -> re.Pattern[str]:
    """Compiled on first use (about a second for all of them): see :func:`warm_up`."""
    source = source.replace(" ", _GAP)
    for name, value in _EXPANDED.items():
        source = source.replace("{" + name + "}", value)
    return re.compile(f"(?<![a-z0-9])(?:{source})(?![a-z0-9])")


def _targets(kind: str, tags: str, *sources: str, person: bool = True) -> list[_Target]:
    tagset = frozenset(tags.split())
    return [_Target(kind, s, tagset, person) for s in sources]


# Words just before a cue that make it something other than a risk statement.
_NOT_AFTER = {
    "method": re.compile(r"\b(?:can|should|do|could|may|when do|when should|how do) i\s*$"),
    "physical": re.compile(
        r"\b(?:throat|head|back|stomach|belly|chest|legs?|arms?|knees?|foot|feet|tooth|teeth|"
        r"ears?|eyes?|neck|shoulders?|hips?|body|joints?|muscles?|wrists?|hands?|it|this|that|"
        r"pain|car|truck|bus|vehicle|ball|dog|cat|tick|bee|wasp|spider|snake|horse|door|wave|"
        r"puppy|kitten|parrot|bird|hamster|rabbit|ferret|pet|kid|toddler|baby|dogs|cats|"
        r"branch|wind|something|reality|you|song|songs|music|lyrics|movie|film|show|line|news|"
        r"memory|memories|grief|realization|smell|thought|sadness|loneliness|guilt|it all)"
        r"(?:\s+(?:has|have|had|is|was|been|keeps|kept|really|"
        r"just|always|still|started|starts|will|would|'s|s|kind of|kinda))*\s*$"
    ),
}
# "it's gonna kill him": the thing doing the harm is not the speaker.
_NOT_AFTER["agent"] = re.compile(
    r"\b(?:it|its|it'?s|that|that'?s|thats|this|which|what|(?:the )?(?:drugs?|heroin|stress|"
    r"drinking|news|alcohol|cancer|disease|pills|booze|meth|dope|fentanyl|virus|worry|"
    r"smoking|diabetes|job|work))(?:\s+(?:is|was|will|would|could|might|may|really|just|"
    r"probably|eventually|finally|'s|s|are|gonna|gon|going to|about to|'ll|ll|end up|"
    r"ends up|is going to|literally|actually))*\s*$"
)
_NOT_AFTER["sexual"] = re.compile(
    r"\b(?:i|we|you|me|it|this|that)(?:\s+(?:can|will|just|gently|to|am|'m|m))*\s*$"
)
# A substance named anywhere in the utterance (for targets that are risk only then).
_INTOX_RE = re.compile(
    r"\b(?:drunk|drinking|drinks?|drank|beers?|wine|vodka|booze|alcohol|liquor|whiske?y|"
    r"tequila|shots|wasted|hammered|stoned|high|using|used|pills|oxys?|xanax|bars|benzos|"
    r"heroin|fentanyl|coke|cocaine|meth|ecstasy|molly|lines|dope|weed|pub|bar|party|"
    r"partying|blacked out|blackout|overdos\w*|od'?d|narcan)\b"
)
_PILLS_RE = re.compile(
    r"\b(?:pills?|meds|medications?|tablets|tylenol|bottle|prescriptions?|xanax|oxys?|"
    r"sleeping pills|painkillers)\b"
)
_ILLNESS_RE = re.compile(
    r"\b(?:virus|sick|flu|fever|doctor|pediatrician|hospital|vomit\w*|throwing up|teething|"
    r"stomach bug|ill|infection|cold|appetite)\b"
)
_PLAY_RE = re.compile(
    r"\b(?:wrestl\w*|play(?:ing)? (?:fight\w*|around|rough)|messing around|horsing around|"
    r"tickl\w*|sparring|pillow fight\w*|just (?:joking|kidding|playing))\b"
)
_ANIMAL_RE = re.compile(
    r"\b(?:puppy|puppies|kitten|dog|cat|parrot|bird|hamster|rabbit|ferret|horse|pony|pet|snake|"
    r"goat|chicken|rooster|monkey)s?\b"
)
# A blackout that is a power cut: "the power blacked out in the storm".
_POWER_RE = re.compile(r"\b(?:power|electricity|storm|outage|grid|lights went)\b")
_BLACKOUT_RE = re.compile(r"black(?:ed|ing|s)? ?out")
# A behaviour named as the subject of a general statement: "drunk driving is an issue".
_GENERIC_AFTER_RE = re.compile(
    r"\s*(?:of [a-z]+\s+)?(?:is|was|are|can|could|causes?|kills?|leads?|has|affects|'s|s|"
    r"ruins|destroys)\b"
)
_NOMINAL_RE = re.compile(r"(?:drunk|drugged|impaired) driving|driving under|drinking and driving")
# A threat said in jest: "I'm gonna kill my brother, he ate my leftovers [laughs]".
_JOKE_RE = re.compile(
    r"\[(?:laughs?|laughing|laughter|chuckles?)\]|\((?:laughs?|laughing|chuckles?)\)|"
    r"\b(?:lol|lmao|haha\w*|jk|just (?:kidding|joking)|i'?m (?:kidding|joking)|kidding)\b"
)
_NOT_JOKE_RE = re.compile(r"\b(?:not|no|n'?t|never) (?:even )?(?:kidding|joking|a joke)\b")
_VEHICLE_RE = re.compile(
    r"\b(?:car|truck|vehicle|rear[\s-]?ended|collision|crash|accident|driver|bike|motorcycle)\b"
)


_SI = [
    *_targets(
        SUICIDAL_IDEATION,
        "active",
        r"(?:kill(?:s|ed|ing|in)?|off(?:ed|ing)?|unaliv(?:e|ed|ing)|murder(?:ing)?) {REFL}"
        r"(?! (?:laughing|with (?:work|stress|worry)))",
        r"(?:end(?:s|ed|ing|in)?|take|takes|taking|took|taken) {POSS} (?:own )?li(?:fe|ves)",
        r"(?:end(?:s|ed|ing|in)?) (?:it all|everything|it once and for all|my existence)",
        r"(?:want(?:s|ed|ing)? to|wanna|think(?:s|ing)? (?:about|of)|thought (?:about|of)"
        r"|thoughts (?:of"
        r"|about)|feel(?:s|ing)? like|felt like|going to|gonna|should|could|might as well|ready to|"
        r"plan(?:ning)? (?:to|on)|urges? to"
        r"|tempted to|about to|decided to|wish i could|just) (?:end(?:ing)?) (?:it|things)"
        r"(?! (?:with|between|for (?:the|today|now)|off|up|there|here|early|on a|there))",
        r"suicid(?:e|es|al|ality|ally)(?! (?:squad|prevention|awareness|bomb\w*|doors|mission"
        r"|king))",
        r"(?:denies|denied|deny|endorses|endorsed|reports|reported|any|no|passive|active|"
        r"current|hx of|history of|h/o) (?P<cue>s\.?i)\b",
        r"(?P<cue>s\.?i)\.? ?(?:/|and|or|,) ?h\.?i\b",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "active method",
        r"(?:hang(?:s|ed|ing)?|shoot(?:s|ing)?|shot|drown(?:s|ed|ing)?|poison(?:s|ed|ing)?|"
        r"stab(?:s|bed|bing)?|suffocat(?:e|ed|ing)|electrocut(?:e|ed|ing)|gas(?:sed|sing)?) {REFL}",
        r"(?:slit(?:s|ting)?|slash(?:ed|ing)?) {POSS} (?:wrists?|throat)",
        r"(?:jump(?:s|ed|ing)?|step(?:ped|ping)?|walk(?:ed|ing)?|throw(?:ing)? {REFL}) "
        r"(?:off|from|in front of|onto|into) (?:of )?(?:(?:a|the|my|this|that|our) )?"
        r"(?:bridge|building|roof|rooftop|cliff|balcony|overpass|train|bus|car|truck|subway|"
        r"tracks|traffic|window|parking garage|ledge)",
        r"(?:drive|driving|drove|driven|crash(?:ing|ed)?|swerv(?:e|ed|ing)|steer(?:ing|ed)?) "
        r"(?:my car |the car )?(?:into|off) (?:(?:a|the|on ?coming|oncoming) )*"
        r"(?:tree|wall|bridge|cliff|traffic|overpass|pole|embankment|river|lake|semi|road|highway|"
        r"freeway|ravine|canyon|median|guardrail|guard rail)",
        r"(?:want(?:ed|s)? to|wanna|tr(?:y|ied|ying) to|going to|gonna|(?:my )?plan (?:is|was) to|"
        r"will|'?ll|think(?:s|ing)? (?:about|of)|thought (?:about|of)|thoughts of|"
        r"plan(?:ning|ned)? (?:to|on)|intend(?:ed)? to) "
        r"(?:overdos(?:e|ing)|o\.?d\.?(?:'?ing)?|jump(?:ing)?|hanging {REFL}"
        r"|slitting {POSS} wrists?)",
        r"(?:overdos(?:e|ed|ing)|o\.?d\.?'?(?:e?d)?) on purpose",
        r"(?:use|used|using|turn|turned|turning|point|pointed|pointing) (?:it|the gun|a gun|my gun|"
        r"the knife|a knife) (?:on|at) {REFL}",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "attempt method",
        r"(?:took|swallow(?:ed)?|downed) (?:all|a bunch|a handful|a whole bottle|the whole bottle"
        r"|the rest|every one|too many|a ton)(?: of)? (?:(?:my|the|those|these|her|his) )?"
        r"(?:pills|meds|medications?|tablets|tylenol|sleeping pills|xanax|advil|ibuprofen|"
        r"aspirin|insulin|prescriptions?|painkillers|pain killers)",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "method",
        r"(?:take|taking|swallow(?:ing)?) (?:all|a bunch|a handful|the whole bottle|a whole bottle)"
        r"(?: of)? (?:(?:my|the|those|these) )?(?:pills|meds|medications?|tablets|tylenol|"
        r"sleeping pills)",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "passive",
        r"{WANT} (?:to )?{DEAD}(?! (?:of|from) (?:embarrassment|shame|laughter|boredom))"
        r"(?! than (?!(?:live|living|keep|go on|be|feel|deal|face|wake|continue|go through|"
        r"put up with|do this|spend|stay|get up|lose|be here|wake up)))",
        # A wish and a death word a few words apart, with no other person in between.
        r"(?:want(?:s|ed|ing)?|wanna|wish(?:ed|es|ing)?|hop(?:e|ed|ing)|pray(?:ed|ing)?|"
        r"prefer(?:red)?|rather|long(?:ing)?|ready|deserve(?:s|d)?)"
        r"(?:\s+(?!(?:he|she|they|my|his|her|him|them|their|you|your|it|wasn'?t|weren'?t|"
        r"isn'?t|not|never|didn'?t|don'?t|won'?t|than|for|of)\b)[a-z']+){1,4}?\s+"
        r"(?:die|be dead|dead|dying)(?! (?:of|from|for|laughing|than|inside|tired|serious|"
        r"on|wrong|set|end|last|battery|to)\b)",
        r"(?:wish(?:ed|es|ing)?|hope|hoped|pray(?:ed)?) (?:that )?(?:i|i'?d|you) (?:was|were|had|"
        r"would be|could be|could just) (?:dead|gone|never (?:been )?born|not (?:born|here|alive)"
        r"|never existed|not exist)",
        r"(?:wish(?:ed|es|ing)?) (?:that )?(?:i'?d|i had|i) never (?:been born|existed|"
        r"woken up|woke up)",
        r"(?:wish(?:ed|es|ing)?) (?:that )?i (?:hadn'?t|had not|didn'?t|did not|never) "
        r"(?:woken|woke|wake) up",
        r"(?:wish(?:ed|es|ing)?|hope|hoped|pray(?:ed)?) (?:that )?i (?:didn'?t|did not|could not|"
        r"couldn'?t|wouldn'?t|would not) (?:exist|wake up|have to wake up)",
        r"(?:wish(?:ed|es)?|hope|hoped|pray(?:ed)?) (?:that )?(?:a|some|the) (?:car|bus|truck|"
        r"train) (?:would |will )?(?:hit(?:s)?|run(?:s)? over|ran over) me",
        r"(?:wish(?:ed|es)?|hope|hoped|pray(?:ed)?) (?:that )?(?:i|i'?d|i would) (?:get|got) "
        r"(?:hit|run over) by (?:a|the) (?:car|bus|truck|train)",
        r"better off (?:dead|gone|without me|if i (?:was|were|wasn'?t|weren'?t|was not|were not|"
        r"died|disappeared) ?(?:dead|gone|here|around|alive)?|not (?:being )?(?:here|alive|"
        r"around)|not existing|never (?:having been )?born|in the ground)",
        r"(?:happier|easier|better) (?:off )?(?:for (?:everyone|everybody|them|my family|my kids)"
        r" )?(?:without me|if i (?:was|were|wasn'?t|weren'?t|was not|were not|just) "
        r"(?:dead|gone|here|around|alive|disappeared|died))",
        r"(?:no|not (?:a|any)|nothing|don'?t have (?:a|any)|(?:can'?t|don'?t|cannot|do not) "
        r"(?:find|see|think of) (?:a|any|the)|lost (?:my|the|any)) (?:good |real |single )?"
        r"(?:reason|point|purpose|will) "
        r"(?:to|in|for|of) (?:liv(?:e|ing)|go(?:ing)? on|keep(?:ing)? (?:going|living)|"
        r"be(?:ing)? (?:alive|here)|wak(?:e|ing) up|stay(?:ing)? alive|exist(?:ing)?|life)",
        r"nothing (?:left )?(?:to|worth) liv(?:e|ing) for",
        r"(?:go|went|fall|falling|going) (?:to sleep|asleep) and (?:never|not) wak(?:e|ing) up",
        r"(?:what'?s|what is|whats) the point (?:of|in) (?:liv(?:e|ing)|being alive|going on|"
        r"waking up|even being here|life)",
        r"(?:life|living|it)(?:'?s| is)? (?:not|isn'?t|ain'?t|no longer) worth (?:living|it "
        r"anymore|being alive)",
        r"not worth (?:living|being alive)",
        r"(?:tired|sick|exhausted|weary) of (?:living|being alive|life|existing|waking up|"
        r"being here|this life)(?! (?:in|with|here|there|like|paycheck|at|on|under|near|alone|"
        r"this way|that way|at home|with)\b)",
        r"(?:i'?m|im|i am|i feel like i'?m|i feel) (?:just )?(?:done|finished|through) (?:living|"
        r"being alive|existing|with being alive)",
        r"(?:i'?m|im|i am) not (?:going to|gonna) be (?:around|here|alive) (?:much longer|for much "
        r"longer|(?:for )?long|by (?:next|the end)|next (?:week|month|year)|after (?:this|the))",
        r"(?:done|finished) with (?:life|living|being alive|this life|existing)(?! (?:in|with|"
        r"here|there|like|on|at (?!this point|the moment))\b)",
        r"(?:would|'?d|will) (?:all )?be (?:so )?(?:relieved|happier|better|fine|okay|ok|glad|"
        r"easier) (?:off )?(?:if|when) i (?:died|was dead|were dead|was gone|were gone|"
        r"killed myself|disappeared|wasn'?t here|weren'?t here|wasn'?t around)",
        r"kms|kys",
        r"(?:easier|better) (?:for (?:everyone|everybody|them) )?(?:to )?(?:just )?(?:not be "
        r"(?:here|alive|around)|be dead|die|not exist|not wake up|disappear)",
        r"(?:think(?:s|ing)?|thought(?:s)?|dream(?:s|ing)?|fantasi[sz](?:e|ing)|"
        r"obsess(?:ing|ed)?|ruminat(?:e|ing)) (?:a lot )?(?:about|of) (?:dying|death|being dead"
        r"|not being (?:here|alive|around)|not existing|ending it(?: all)?|my (?:own )?death|"
        r"my (?:own )?funeral|not waking up|how i(?:'?d| would) die|how to die)",
        r"(?:don'?t|do not|didn'?t|did not|doesn'?t|does not|not|no longer) (?:want(?:ing)?|wanna|"
        r"feel like|care) (?:to )?(?:live anymore|live any more|be alive(?: anymore)?|"
        r"exist(?: anymore)?|wake up(?: anymore)?|live|be here (?:anymore|any more|no more|"
        r"on this earth|in this world|at all)|be on this earth|be in this world|"
        r"keep (?:living|going)(?! (?:to|with|back))|be around (?:anymore|any more)|"
        r"(?:live|be alive|go on) like this (?:anymore|any more)|"
        r"continue living|do life|live anymore|go on(?: (?:anymore|living|like this))?"
        r"(?! (?:a|the|this|that|my|vacation|trip|with|to|date|it|and|about)))"
        r"(?! (?:with|in|there|here|like|near|at|on|alone|together|by|under|this way|that way|"
        r"the way))",
        r"(?:not sure|don'?t know|dunno|doubt|wonder) (?:if |whether |that )?(?:i )?(?:even )?"
        r"(?:want|wanna|can) (?:to )?(?:live|be alive|keep going|keep living|go on|"
        r"be here|stay alive|keep myself safe)(?: anymore| any more)?",
        r"(?:can'?t|cannot|couldn'?t|can not|unable to|not able to|not sure (?:if |that )?i can|"
        r"don'?t (?:know|think) (?:if |that )?i can) (?:keep|stay) (?:myself )?safe",
        r"(?:anyone|anybody|no ?one|nobody|no-one|noone|people|they|my family) (?:would|will|'?d)"
        r" (?:even )?(?:notice|care|miss me|be sad) (?:if|when) i (?:was|were|died|disappeared|"
        r"killed myself|wasn'?t here|weren'?t here|was gone|were gone)",
        r"(?:no ?one|nobody|no-one|noone) (?:cares?|would care) (?:if|whether) i (?:live|die|"
        r"lived|died|was gone|disappeared)(?: or (?:die|died|not))?",
        r"(?:no ?one|nobody|no-one|noone) (?:would|will|is going to|gonna|'?d|'?ll|would even) "
        r"(?:miss me(?: if i (?:was|were|died|disappeared|killed myself)(?: gone)?)?|notice (?:if|"
        r"when) i(?:'?m| was| were) gone|care (?:if|when) i (?:die|died|was gone|were gone|"
        r"disappeared|killed myself|wasn'?t here|weren'?t here))",
        r"(?:don'?t|do not|wouldn'?t|would not|couldn'?t) (?:care|mind)(?: less)? (?:if|whether|"
        r"when)? ?(?:i )?(?:live(?:d)? or die(?:d)?|die(?:d)?|dying|being dead|(?:don'?t|didn'?t) "
        r"wake up|never woke up|got hit by (?:a|the) (?:car|bus|truck|train)|was dead|"
        r"were dead|not waking up|wasn'?t here)",
        r"(?:want(?:ed)?|wanna|wish(?:ed)?|need(?:ed)?|just want) (?:it all|everything|my life|"
        r"life|all of (?:it|this)) to (?:end|be over|just stop|stop for good|(?:just )?stop "
        r"(?:permanently|forever|for good))",
        r"i (?:should|might as well|may as well) (?:just )?(?:die|be dead|not be here|not exist)",
        r"(?:sometimes|often|i) (?:think|feel|wish|wonder) (?:that )?(?:everyone|everybody|"
        r"the world|my family|they) (?:would|'?d) be (?:better|happier|fine)(?: off)? "
        r"(?:without me|if i (?:was|were) gone)",
        r"no (?:way out|escape|other way|other option|other choice|way to fix this) (?:except|but|"
        r"other than|besides|apart from) (?:dying|death|to die|killing myself|suicide|ending it|"
        r"ending my life)",
        r"(?:can'?t|cannot|don'?t|do not) (?:see|picture|imagine) myself (?:being )?(?:alive|here|"
        r"around|living|still alive) (?:next|in (?:a|five|ten|two|a few)|by|much longer|for much "
        r"longer|a year from now|past)",
        r"(?:wonder|wondering|not sure|don'?t know|doubt) (?:if|whether) (?:it'?s|life is|it is|"
        r"living is) (?:even |really )?(?:worth (?:it|living|going on|keeping going|staying|being "
        r"here|staying alive)|worth it to (?:keep going|go on|stay|keep living))"
        r"(?= *(?:[.!?,;]|$|anymore|any more))",
        r"(?:had|have had) enough of (?:life|living|everything|being alive|this life|existing)"
        r"(?! (?:in|at|with|on|as|here|there|like|of)\b)",
        r"(?:want|wanted|wanna|need|needed) it (?:all )?to (?:be over|end)(?= *(?:[.!?;]|$|for "
        r"good|forever|permanently))",
        r"(?:hope|hoping|wish|wishing|pray|praying) (?:that )?i (?:get|got|would get|'?d get) "
        r"(?:in|into) (?:an accident|a (?:car |bad )?(?:crash|wreck|accident))",
        r"better off(?: [a-z']+){1,6}? without me(?: around| here| in (?:it|the picture|their "
        r"lives|the way))?(?= *(?:[.!?,;]|$|anymore|any more))",
        r"(?:death|dying|suicide|killing myself|ending it) (?:is|seems|seems like|feels like|looks "
        r"like) (?:the|my) only (?:option|way out|answer|solution|way|choice|escape)",
        # The condition first: "if I don't live anymore, she'll be okay".
        r"if i (?:died|was dead|were dead|was gone|were gone|disappeared|killed myself|"
        r"(?:wasn'?t|weren'?t|was not|were not) (?:here|around|alive)|"
        r"(?:didn'?t|don'?t|did not|do not) (?:live|exist|wake up|make it)|(?:was|were) n'?t "
        r"(?:here|around))(?: anymore| any more)?,? (?:then )?(?:she|he|they|everyone|everybody|"
        r"my (?:\w+ )?\w+|it|things|everything|the world|people|we|you)(?:'?ll|'?d| will| would|"
        r" (?:is|are) going to| could)? (?:all )?(?:be|feel) (?:so )?(?:okay|ok|fine|better|"
        r"happier|better off|easier|relieved|free|alright|all right|at peace|glad)",
        # "I just don't see the point anymore", "what's the point of any of it".
        r"(?:don'?t|do not|can'?t|cannot|no longer) (?:even )?see (?:the|any|a) point"
        r"(?= *(?:$|[.,!?;]|anymore|any more|in (?:anything|any of (?:it|this)|it all|life|"
        r"living|going on|trying anymore|being here|being alive)|of (?:anything|any of it|it all|"
        r"life|living|going on|being here|being alive)|(?:in|of) (?:waking up|getting up)))",
        r"(?:what'?s|what is|whats) (?:even )?the point(?: (?:of|in) (?:anything|any of (?:it|"
        r"this)|it all|trying|getting up|going on))?(?: anymore| any more)",
        r"(?:everyone|everybody|the world|my family|my kids|they|people) (?:would|'?d|will|'?ll) "
        r"(?:all )?be (?:so )?(?:better off|happier|better)(?= *(?:$|[.,!?;]|without me|if i|"
        r"when i'?m gone|with me gone|if i (?:was|were)))",
        r"(?:wish|wished|wishing) (?:that )?i (?:could|would|can) (?:just )?(?:disappear|vanish|"
        r"not exist|stop existing|fall asleep forever|not wake up|cease to exist)"
        r"(?! (?:into|to|for (?:a|the|an)|on|from (?:the|this|that)|somewhere|under|in (?:a|the)|"
        r"off))",
        r"(?:i'?m|i am|im) (?:so )?(?:done|finished) with (?:everything|it all|all of it)"
        r"(?= *(?:$|[.,!?;]))",
        r"(?:i'?m|i am|im|i feel like|i feel|i'?ve been feeling like) (?:such )?a burden "
        r"(?:to|on) (?:everyone|everybody|my family|them|my kids|my (?:wife|husband|mom|parents))"
        r"(?: and| so)? (?:they|everyone|everybody|it)(?:'?d| would| will|'?ll) be (?:better|"
        r"easier|happier|fine|okay)",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "preparation",
        r"(?:sav(?:e|ed|ing)|stockpil(?:e|ed|ing)|hoard(?:ed|ing)?|collect(?:ed|ing)|"
        r"stash(?:ed|ing)?) (?:up )?(?:(?:my|the|all (?:of )?(?:my|the)|some|enough|a bunch of) )?"
        r"(?:pills|meds|medications?|tablets|sleeping pills|pain ?killers|tylenol|xanax|oxy\w*)",
        r"(?:pills|meds|medications?|tablets) (?:saved|stockpiled|stashed|hoarded|put away|"
        r"set aside|hidden|lined up|counted out|all ready)(?: up)?",
        r"(?:wrote|write|writing|written|left|leave|leaving) (?:(?:a|my|the) )?(?:suicide note|"
        r"goodbye (?:notes?|letters?)|note for my (?:family|kids|parents|wife|husband))",
        r"(?:giv(?:e|ing)|gave|given) (?:all )?(?:of )?my (?:stuff|things|belongings|possessions|"
        r"pets?|cat|dog) away(?! (?:before|because|since|to (?:charity|goodwill)|for (?:the|a) "
        r"move)\b)",
        r"(?:giv(?:e|ing)|gave|given) away (?:all )?(?:of )?my (?:stuff|things|belongings|"
        r"possessions)",
        r"noose",
        r"(?:look(?:ed|ing)? up|googl(?:e|ed|ing)|research(?:ed|ing)?|search(?:ed|ing)?(?: for)?) "
        r"(?:how (?:to|many|much|long)|ways to|painless ways|the (?:best|easiest|quickest|"
        r"fastest|most painless) way to)[^.?!]{0,40}?(?:die|dying|kill|overdose|lethal|fatal|"
        r"hang|end it|(?:it|would|will) (?:would |will )?takes?|to take)",
    ),
]

_HI = [
    *_targets(
        HOMICIDAL_IDEATION,
        "active agent",
        r"(?:kill(?:s|ed|ing|in)?|murder(?:s|ed|ing)?|strangl(?:e|es|ed|ing)|stab(?:s|bed|bing)?|"
        r"shoot(?:s|ing)?|smother(?:ed|ing)?|poison(?:ed|ing)?|slit (?:his|her|their) throats?) "
        r"{PEOPLE}(?! (?:with kindness|in the back|a (?:text|message|email|note|line|look|dm)|"
        r"an (?:email|update)|for (?:eating|taking|forgetting|leaving|being|not|that|this|doing|"
        r"using|making|saying|losing|breaking|wearing|drinking|stealing|borrowing)))",
        r"{INTENT} (?:to )?{HARMV} {PEOPLE}(?! (?:feelings|'?s feelings|dog|cat|car|chances|"
        r"reputation|career|pride|business|back|for (?:eating|taking|forgetting|leaving|being)))",
        r"(?:run(?:ning)?|ran|mow(?:ing)?) (?:him|her|them|{PERSON}|{PEOPLE}) (?:over|down)",
        r"(?:bought|got|buy|get|getting|buying|keep|kept) (?:a|the|my|this) (?:gun|rifle|pistol|"
        r"knife|weapon|handgun|shotgun|bat|machete) (?:to|so i can|so i could|for) (?:deal with|"
        r"use on|take care of|handle|go after|get|settle things with|teach|finish|end|scare|"
        r"shut up|take out|kill|hurt|shoot|stab) (?:him|her|them|{PERSON}|{PEOPLE})",
        r"{INTENT} (?:to )?(?:push(?:ing)?|shov(?:e|ing)|throw(?:ing)?) {PEOPLE} (?:down the "
        r"stairs|off (?:the|a) (?:balcony|bridge|cliff|roof|ledge|building)|in front of (?:a|the) "
        r"(?:train|bus|car|truck)|into traffic|out (?:the|a) window)",
        r"{INTENT} (?:to )?(?:beat|kick|knock|punch|choke) the (?:crap|shit|hell|living daylights|"
        r"life|snot) out of {PEOPLE}",
        r"{INTENT} (?:to )?put (?:him|her|them|{PERSON}) in (?:the |a )?(?:hospital|ground|grave|"
        r"coffin|morgue|wheelchair|body bag)",
        r"{INTENT} (?:to )?end (?:him|her|them|{PERSON})(?= *(?:[.!?,;]|$|for good|once and))",
        r"(?:want|wanna|wish|would love|'?d love|(?:would|'?d) like|can'?t wait) to see (?:him|her|"
        r"them|{PERSON}) (?:dead|die|suffer|in the ground|in a coffin|bleed)(?! (?:through|at|"
        r"in the|on)\b)",
        r"{INTENT} (?:to )?(?:slit|cut|slash) (?:his|her|their) throats?",
        r"(?:violent|homicidal|murderous) (?:thoughts|urges|fantasies|images|ideas|impulses) "
        r"(?:about|of|toward|towards|against) {PEOPLE}",
        r"(?:put(?:ting)?|wrap(?:ping)?|get(?:ting)?|have|having) my hands (?:around|on) (?:his|"
        r"her|their|{PERSON}'?s) (?:throat|neck)",
        # A weapon taken to the person: "go over there with my dad's rifle".
        r"(?:go|going|gonna go|head(?:ing)?|show(?:ing)? up|drive|driving|walk|walking|turn up|"
        r"come|coming) (?:over )?(?:there|to (?:his|her|their|my \w+'?s) (?:house|place|work|"
        r"job|office|apartment|school)|over to (?:his|her|their) (?:house|place)|to (?:work|"
        r"school|the office)) (?:with|and bring|and take) (?:(?:a|my|the|his|her) )?(?:\w+'?s )?"
        r"(?:gun|rifle|shotgun|pistol|handgun|knife|machete|bat|weapon|hammer|ar|glock)",
        r"(?:i|i'?ve|i have|i'?d|i had) (?:[a-z']+ )?(?P<cue>(?:hurt|punched|stabbed|"
        r"attacked|beat up|choked|shot|strangled) (?:him|her|them|someone|somebody|a guy|"
        r"a (?:man|woman|kid)|that guy))(?! (?:feelings|'?s feelings|when i|by|so much|badly|back|"
        r"up|with (?:a|the) (?:ball|pillow|snowball)|in (?:tennis|chess|a game)))",
        r"(?:want(?:s|ed)? to|wanna|going to|gonna|'?ll|will|thinking (?:about|of)|thought "
        r"(?:about|of)|thoughts of|fantasi[sz](?:e|ed|ing) about|plan(?:ning)? (?:to|on)) "
        r"(?:kill(?:ing)?|murder(?:ing)?|strangl(?:e|ing)|stab(?:bing)?|shoot(?:ing)?) "
        r"(?!(?:my|your|him|her|them|our|one) ?sel|(?:time|it|this|that|these|those|the|a|an|"
        r"some|my|off|two|everything|anything|nothing|for|me|you|us|myself|yourself|ya|em|"
        r"him|her|them)\b)[a-z]+(?! (?:time|off)\b)",
        r"(?:want|wanted|wish|wished|need) (?:him|her|them|{PERSON}) (?:dead|gone for good"
        r"|to die|in the ground)",
        r"(?:wish|hope|hoped|pray) (?:that )?(?:he|she|they|{PERSON}) (?:was|were|would|'?d|will) "
        r"(?:dead|die|just die|drop dead|get hit by)|(?:wish|hope|hoped|pray) (?:that )?(?:he|she|"
        r"they|{PERSON}) (?:dies|drops dead|gets killed|gets hit by|croaks)",
        r"make (?:him|her|them|'?em|everyone|{PERSON}|people) pay"
        r"(?! (?:for (?:dinner|lunch|rent|the bill|it|the|half)|the bill|rent|back|attention"
        r"|half))",
        r"(?:get(?:ting)?|take|taking) (?:revenge|back at|even with) (?:on )?(?:him|her|them|"
        r"{PERSON})(?! (?:by|with) (?:ignoring|moving on|being happy))",
        r"homicid(?:al|e)(?: (?:thoughts|ideation|feelings|urges))?",
        r"s\.?i\.? ?(?:/|and|or|,) ?(?P<cue>h\.?i)\b",
        r"(?:denies|denied|deny|endorses|endorsed|reports|any|no) (?P<cue>h\.?i)\b",
        r"(?:shoot(?:ing)? up|bomb(?:ing)?|blow(?:ing)? up) (?:the|a|my|this|that) (?:school"
        r"|office|"
        r"workplace|work|place|building|church|mosque|synagogue|party|class|store|mall)",
        r"(?:bring(?:ing)?|take|taking|brought) (?:a|my|the) (?:gun|knife|weapon) to (?:school|"
        r"work|class|the office|his (?:house|place)|her (?:house|place))",
        r"(?:hurt(?:ing)?|harm(?:ing)?|kill(?:ing)?) (?:someone|somebody|others|other people|"
        r"anyone|anybody)(?!'?s)",
        r"{REFL} or (?P<cue>(?:someone|somebody|anyone|anybody|others|other people)(?: else)?)",
        r"(?:never|not|wouldn'?t|won'?t|couldn'?t|don'?t|didn'?t|would not|will not|could not) "
        r"(?:ever )?(?:want to |wanna |try to |going to |gonna )?(?P<cue>{HARMV} {PEOPLE})"
        r"(?! (?:feelings|'?s feelings|a (?:text|message|email|note|line|look)))",
    ),
]

_SH = [
    *_targets(
        SELF_HARM,
        "",
        r"(?:cut(?:s|ting|tin)?|burn(?:s|ed|t|ing)?|scratch(?:es|ed|ing)?|hit(?:s|ting)?|"
        r"punch(?:es|ed|ing)?|bit(?:e|es|ing)?|carv(?:e|ed|ing)|hurt(?:s|ing)?|harm(?:s|ed|ing)?|"
        r"injur(?:e|ed|ing)|mutilat(?:e|ed|ing)|bruis(?:e|ed|ing)|whip(?:ped|ping)?|"
        r"pinch(?:ed|ing)?) {REFL}(?! (?:shaving|cooking|chopping|on (?:a|the|some|my)|by accident|"
        r"accidentally|at the gym|playing|running|working out|lifting|slicing|opening|off|out|"
        r"some slack|a break|laughing|skiing|at work|in a fall|falling))",
        r"(?:carv(?:e|ed|es|ing)|scratch(?:ed|es|ing)?|etch(?:ed|ing)?|cut(?:ting)?) (?:[a-z']+ )"
        r"{0,3}?(?:into|in|on) my (?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|forearms?|"
        r"chest)(?! (?:with a pen|with marker|tattoo))",
        r"(?:cut(?:s|ting|tin)?|burn(?:ed|t|ing)?|carv(?:e|ed|ing)|slash(?:ed|ing)?|"
        r"slic(?:e|es|ed|ing)) {POSS} "
        r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|belly|hips?|ankles?|forearms?|body|chest|"
        r"shoulders?)(?! (?:on (?:a|the|some)|shaving|cooking|by accident|accidentally))",
        r"(?:scratch(?:ed|es|ing)?|pick(?:ed|ing)?(?: at)?|pull(?:ed|ing)?|bit(?:e|ing)?|rub(?:bed|"
        r"bing)?|claw(?:ed|ing)?|dig(?:s|ging)?(?: at| into)?|dug(?: at| into)?|punch(?:ed|es|"
        r"ing)?|"
        r"hit(?:s|ting)?|bang(?:s|ed|ing)?|goug(?:e|ed|ing))(?: [a-z']+){0,6}? (?:until|till|til|"
        r"'til|'till) (?:it|they|i|my (?:skin|arms?|legs?|knuckles|hands?|fists?|nails?)) "
        r"(?:bleeds?|bled|was bleeding|were bleeding|started bleeding|bleed|split|broke|bruised)",
        r"(?:scratch(?:ed|es|ing)?|pick(?:ed|ing)?|dig(?:ging)?|claw(?:ed|ing)?)(?: [a-z']+){0,3}? "
        r"(?:until|till|til) (?:there'?s|there is|i see|it draws|i draw|i get) blood",
        r"(?:go|went|going|run|ran|lock myself|locked myself) (?:in|into|to) (?:the|"
        r"my) (?:bathroom|"
        r"bedroom|room|closet) and (?P<cue>cut|burn)(?= *(?:[.!?;]|$|myself|again))",
        r"(?:my |the )?(?:cuts|burns) (?:are|have been|keep|kept) (?:getting )?(?:deeper|worse|"
        r"bigger|more frequent)",
        # Tools: "I relapsed with the razor", "I use a blade on my arms".
        r"(?:relaps(?:e|ed|ing)|slipped( up)?) (?:with|on) (?:the|my|a) (?:razor|blade|razor blade|"
        r"lighter|scissors|knife|cutting)",
        r"(?:use|used|using|took|take|taking|grab|grabbed|grabbing|got out) (?:a|the|my) "
        r"(?:razor|razor blade|blade|lighter|scissors|compass|box cutter|knife|pencil sharpener "
        r"blade) (?:to|on|against) (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin|stomach|"
        r"hips?|body))",
        r"(?:put(?:ting)? out|stub(?:bed|bing)? out) (?:a |my )?(?:cigarettes?|cigs?|smokes?|"
        r"joints?)"
        r" on (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin|hands?|stomach|chest))",
        r"(?:press(?:ed|ing)?|hold|held|holding|put|putting|touch(?:ed|ing)?) (?:a|the|"
        r"my) (?:hot )?"
        r"(?:lighter|cigarette|iron|spoon|knife|blade|match|curling iron|hot glue gun) "
        r"(?:against|on|to|into) (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin|hands?|stomach))",
        r"(?:stick|sticking|stuck|jab|jabbing|jabbed|push|pushing) (?:pins|needles|tacks|safety "
        r"pins|a pin|a needle|a safety pin|things) (?:in|into) (?:myself|my (?:skin|arms?|legs?|"
        r"thighs?|hands?|fingers?))",
        r"(?:make|made|making) myself (?:bleed|bruise)",
        r"(?:stab(?:s|bed|bing)?|pok(?:e|es|ed|ing)|prick(?:s|ed|ing)?|jab(?:s|bed|bing)?) "
        r"(?:myself|my (?:arms?|legs?|thighs?|hands?|skin|fingers?|wrists?|stomach)) (?:with "
        r"(?:a|the|my) (?:pen|pencil|compass|fork|needle|pin|safety pin|paperclip|paper clip|"
        r"scissors|thumbtack|tack|nail|key|knife|blade))",
        r"(?:punish(?:ed|ing)?|hurt(?:ing)?) myself physically|physically (?:punish(?:ed|ing)?|"
        r"hurt(?:ing)?) myself",
        r"(?:starv(?:e|ed|ing)) myself (?:to punish|as (?:a )?punishment|on purpose|because i "
        r"deserve)",
        r"(?:slam(?:med|ming)?|smash(?:ed|ing)?|bang(?:ed|ing)?|hit|hitting|cut|cutting|burn(?:ed|"
        r"t|ing)?|scratch(?:ed|ing)?|punch(?:ed|ing)?|bit|bite|biting|broke|break|hurt|hurting|"
        r"harm(?:ed|ing)?|injur(?:e|ed|ing)) (?:myself|my "
        r"\w+)(?: [a-z']+){0,4}? on purpose",
        r"(?:scratch(?:ed|ing)?|rubb(?:ed|ing)|pick(?:ed|ing)) (?:myself|my (?:arms?|skin|legs?|"
        r"wrists?|face)) raw",
        r"(?:relaps(?:e|ed)|slipped(?: up)?|gave in|caved)(?: [a-z]+){0,3}? and (?P<cue>cut|burned|"
        r"cutting|burning|hurt myself)(?= *(?:[.!?;,]|$|again|last|yesterday|on|myself))",
        r"(?:fresh|new|recent) (?:cuts|burns|scratches|wounds|marks|scars) on (?:my )?(?:arms?|"
        r"wrists?|legs?|thighs?|stomach|hips?)(?! from (?:the|my|a) (?:cat|dog|kitten|puppy|"
        r"garden|gardening|work|job|kitchen|surgery))",
        # The bare behaviour named at a clause end: "the only way I feel something, cutting."
        r"(?<!hair\s)(?<!grass\s)(?<!lawn\s)(?<!coupon\s)(?<!wood\s)(?<!paper\s)(?<!cost\s)"
        r"(?<!on\s)(?<!corner\s)(?<!corners\s)(?<!tree\s)(?<!is\s)(?<!'s\s)(?<!was\s)"
        r"(?P<cue>cutting)(?= *(?:[.!?;]|$|, (?:i|and|it|that|like|on|last|this|yesterday|again|"
        r"mostly|every|twice|once)\b))",
        r"self[\s-]?(?:harm(?:ing|ed|s)?|injur(?:y|ies|ing|ious|e|ed)|mutilat(?:e|ion|ing|ed))",
        r"(?:been|started|start|starting|stop|stopped|keep|kept|quit|urges? to|urge of|want to|"
        r"clean from|free from|without|"
        r"wanted to|wanna|feel like|felt like|thinking about|thought about|back to|went back to|"
        r"relapsed?(?: (?:on|into|and))?|used to|still|i|i'?ve|i'?m|im|i am|i was|was) "
        r"(?:(?:not|never|no longer|haven'?t|have not|hasn'?t|didn'?t|did not|don'?t|do not|"
        r"won'?t|wouldn'?t|ain'?t) )?(?P<cue>cutting|cut|burning)(?=$|[^a-z\s]|\s+(?:again|"
        r"anymore|any more|and|but|when|because|cause|since|last|yesterday|every|at night|in|"
        r"on my|or|so|to cope|lately|recently|a lot|sometimes|the other|this|for|after|before|"
        r"while|if|like|is|was|has|gets|got|comes|came|two|three|four|five|six|a few|a couple|"
        r"about|around|over|almost|nearly|years|months|weeks|at|during|ever|more|less|even|as|"
        r"until|till|each|most|since|when|though|right now|now|anymore)\b)",
        r"(?:cutter|self[\s-]?inflicted)",
        r"(?P<cue>cutting|self[\s-]?harm(?:ing)?) (?:helps|makes me|is the only|calms|relieves|"
        r"releases|is how i cope|numbs)",
        r"(?<!hair\s)(?<!power\s)(?<!lawn\s)(?<!grass\s)(?<!got\s)(?P<cue>cut(?:ting)?|burn(?:ed"
        r"|ing)?) "
        r"again(?! (?:with|from))",
        r"(?P<cue>cutting|self[\s-]?harm) scars",
        r"(?:hit(?:ting)?|bang(?:ing|ed)?|slam(?:ming|med)?|smash(?:ing|ed)?) {POSS} head "
        r"(?:against|on|into) (?:(?:the|a) )?(?:wall|floor|door|desk|table|mirror)",
    ),
]

_ABUSE = [
    *_targets(
        ABUSE_NEGLECT,
        "physical",
        r"(?P<cue>(?:hits|hit|hitting|beats|beat|beating|beaten|slaps|slapped|slapping|"
        r"punch(?:es|ed|ing)|kicks|kicked|kicking|shoves|shoved|shoving|pushes|pushed|pushing|"
        r"grabs|grabbed|smacks|smacked|whips|whipped|whooped|whoops|slams|slammed|"
        r"slamming|pins|pinned|pinning|starves|starved|starving|"
        r"burns|burned|burnt|drags|dragged|spits on|spit on|attacks|attacked|"
        r"(?:throws|threw|throwing) (?:(?:a|the|his|her|my|stuff|things) )?[a-z]+ at|"
        r"beat up|beats up) (?:me|us|you|{KIDS}|my (?:mom|mother|sister|brother|siblings|"
        r"little (?:sister|brother))))"
        r"(?! (?:with (?:a|the|this|that) (?:question|news|request|bill|fact|truth|reality|"
        r"idea)|hard|that|how|like|back|at (?:chess|cards|games?|monopoly|poker|tennis|pool|"
        r"basketball|scrabble|uno|checkers|video games|trivia|golf|football|soccer|sports|it|"
        r"everything|\w+ing)\b|"
        r"to (?!(?:the )?(?:ground|floor|wall|door|bed|couch|counter|table|car|mattress))|"
        r"away|out|off|so much|a lot|emotionally|deeply|when (?:you|he|she) (?:said|say)|"
        r"feelings|in the feels|too))",
        r"(?<!really\s)(?<!so\s)(?<!deeply\s)(?<!truly\s)(?<!badly\s)"
        r"(?<!who\s)(?<!that\s)"
        r"(?P<cue>(?:hurts|hurt|hurting) (?:me|us|you|{KIDS}|my (?:mom|mother|sister|brother|"
        r"siblings|little (?:sister|brother))))(?! (?:when (?:you|he|she|they) "
        r"(?:said|say|says|left|leave|leaves|cheated|cheats|lied|lies|ignored|ignores|forgot|"
        r"didn'?t|don'?t|doesn'?t|won'?t|chose)|by|that|because|so|"
        r"with (?:his|her|their) words|emotionally|deeply|a lot|really bad|the most|more than|"
        r"feelings|to (?:hear|see|think|know)|inside|too|to the core))",
        r"(?:i'?m|im|i'?ve been|ive been|i (?:was|am|get|got|have been|keep getting)|"
        r"we (?:were|are|get|got)|"
        r"(?:my )?(?:kids?|son|daughter|children) (?:was|were|is|are|get|gets|got)) (?:being )?"
        r"(?:hit|beaten|beat up|slapped|punched|kicked|hurt|attacked|abused|whipped|choked|"
        r"strangled|burned|assaulted)(?! (?:at work|on the job|playing|in (?:a|an|the) (?:accident|"
        r"crash|game|fall)|during|by (?:a|the|another) (?:car|ball|truck|bus|wave|dog|vehicle)|"
        r"on the head "
        r"by|in the (?:head|face) (?:by|with) (?:a|the) ball))",
        r"i (?:[a-z']+ )?(?P<cue>(?:hit|hits|smack(?:ed)?|slap(?:ped)?|beat|punch(?:ed)?|"
        r"shove(?:d)?|push(?:ed)?|kick(?:ed)?|whip(?:ped)?|shook|shake|hurt|"
        r"threw (?:\w+ )?at|choke(?:d)?) (?:{KIDS}|(?:my|the) (?:wife|girlfriend|husband|"
        r"boyfriend|partner|mom|mother|dad|father)))(?! (?:with (?:a )?(?:ball|pillow)|back))",
        r"(?:spank|whip|beat|hit|smack)(?:s|ed|ing|ped|ping)? (?:{KIDS}|them|him|her|me|us)"
        r"(?: [a-z']+){0,3}? with (?:a|the|my|his|her) (?:belt|cord|"
        r"switch|spoon|hanger|paddle|shoe|wire|stick)",
        r"(?:hits|slaps|punches|kicks|scratches|bites|pinches|shoves|pushes|grabs|hit|slapped|"
        r"punched|kicked|scratched|bit|pinched|shoved|pushed|grabbed) (?:and|or) (?:hits|slaps|"
        r"punches|kicks|scratches|bites|pinches|shoves|pushes|chokes|grabs|hit|slapped|punched|"
        r"kicked|scratched|bit|pinched|shoved|pushed|choked|grabbed) (?:me|us|{KIDS})",
        r"(?:bites|bit|biting|scratches|scratched|scratching|pinches|pinched|headbutt(?:s|ed)|"
        r"stomp(?:s|ed) on) (?:me|us|{KIDS})(?! (?:up|back))",
        r"(?:burn(?:ed|s|t)?) (?:me|us|him|her|them|{KIDS}) with (?:a|his|her|the|their) "
        r"(?:cigarette|lighter|iron|cig|curling iron|hot \w+)",
        r"(?:same|dirty|soiled|wet|full) diapers? (?:all day|all night|for hours|since (?:last "
        r"night|yesterday|this morning))",
        r"(?:gave|gives|give|left|leaves) (?:me|us|{KIDS}) (?:a )?(?:black eye|bruises?|"
        r"a concussion|a split lip|a fat lip|marks|welts)",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "physical",
        r"(?:throws|threw|throwing|shoves|shoved) (?:me|us|{KIDS}) (?:against|into|onto|on the|"
        r"to the|down|across|out of)",
        r"(?:gets|got|is|was|has been|becomes|became|getting) (?:really |very |so )?(?:violent|"
        r"physical|physically abusive|rough) (?:with|toward|towards|to|around) (?:me|us|{KIDS})",
        r"domestic (?:violence|abuse)",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "physical weapon",
        r"(?:held|holds|holding|pulled|pulls|pointed|points|pointing|put|puts) (?:a|his|her|the|"
        r"their) (?:knife|gun|blade|pistol|weapon) (?:to|at|on|against) (?:me|us|you|{KIDS}|my "
        r"(?:throat|head|neck|face|chest))",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "physical strangulation",
        r"(?:(?:chokes|choked|choking|choke|strangle|strangles|strangled|strangling) (?:me|us|you|"
        r"{KIDS}|my (?:mom|mother|sister|brother))|put (?:his|her) hands? "
        r"(?:around|on) my (?:throat|neck))",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "threat",
        r"threaten(?:s|ed|ing)? (?:me|us|{KIDS}|to)(?! (?:(?:kill|hurt|harm|cut|end|shoot) "
        r"(?:himself|herself|themselves|themself|his life|her life|their life)|quit|break up|"
        r"sue|fire|move out|"
        r"report|call (?:the )?(?:landlord|school)|tell (?:mom|dad|my)|cancel))",
        r"(?:said|says|told me|tells me|swore|swears|threatened|yells) (?:that )?"
        r"(?:he|she|they)(?:'?d|'?ll| would| will| is going to| was going to| is gonna| was gonna"
        r"| gonna|'?s going to|'?s gonna) (?P<cue>(?:kill|hurt|shoot|stab|beat|strangle|choke) "
        r"(?:me|us|{KIDS}|my \w+))",
        r"(?:i'?m|i am|i'?ve been|i feel) (?:so |really |very )?(?:scared|afraid|terrified|fearful)"
        r" (?:of (?:him|her|my (?:husband|wife|boyfriend|girlfriend|partner|dad|father|mom|mother|"
        r"stepdad|stepfather|ex))|to go home|for my life|for my kids'? safety|he'?ll kill me|"
        r"she'?ll kill me|he'?s going to kill me)",
        r"(?:won'?t|doesn'?t|does not|will not|never) let (?:me|us) (?:leave|go out|go anywhere|"
        r"see (?:my )?(?:friends|family)|have (?:any |my own )?(?:money|my (?:own )?phone|a phone|"
        r"a car|a job)|"
        r"out of (?:the|his|her) sight|out of the house)",
        r"(?:lock|locks|locked|locking) (?:them|him|her) (?:in|inside|out of) (?:a|the|my|our|"
        r"their|his|her) (?:room|closet|basement|bathroom|car|shed|garage|cage|attic|bedroom|"
        r"cupboard)",
        r"(?:stalk(?:s|ed|ing)?) (?:me|us|{KIDS})",
        r"(?:show(?:s|ed)?|turn(?:s|ed)?) up (?:at|to) (?:my|our) (?:work|house|job|apartment|door|"
        r"school|place|kids'? school) with a (?:knife|gun|weapon|bat)",
        r"lock(?:s|ed)? (?:me|us|{KIDS}) (?:in|inside|out)(?: (?:a|the|my|our) (?:room|closet|"
        r"basement|house|bathroom|car))?",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "abuse",
        r"(?:abused|abusive|abuser|abusing (?:me|us|you|{KIDS}|him|her|them)|abuses (?:me|us|"
        r"you|{KIDS}|him|her|them)|(?:physical|physically|sexual|sexually|emotional|emotionally|"
        r"verbal|verbally|domestic|child|psychological|financial) abuse|abuse (?:at|in) (?:home|"
        r"the house|my (?:home|house|family|marriage|relationship)))(?! (?:of (?:power|alcohol|"
        r"drugs|substances)|substances|drugs|alcohol|pills|my (?:meds|medication|prescription)|"
        r"hotline number))",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "sexual",
        # "rape" alone is a topic ("rape is awful") or a mis-heard word; the act needs a
        # victim or an attempt.
        r"(?:raped|(?:rapes|rape|raping) (?:me|her|him|us|{KIDS}|{SIBLING})|(?:tried|trying|"
        r"try|tries) to rape|molest(?:s|ed|ing)?|sexually (?:abused|assaulted|touched|harassed)|"
        r"groped|gropes|fondl(?:e|es|ed|ing)|sexual abuse|sexual assault)",
        r"forc(?:ed|es|ing) (?:himself|herself|themselves) (?:on|onto) (?:me|her|my \w+|{KIDS})",
        r"(?P<cue>(?:touches|touched|touching|touch) (?:me|you|{KIDS}|"
        r"{SIBLING})(?: inappropriately| down "
        r"there| sexually)?)(?! (?:on the (?:shoulder|arm|back"
        r"|hand)|deeply|so much|emotionally|when (?:you|he|she) said))",
        r"(?:makes|made|forces|forced|pressures|pressured|making|forcing) (?:me|{KIDS}) (?:to )?"
        r"(?:have sex|do sexual|do (?:things|stuff) i (?:don'?t|didn'?t) want|touch (?:him|her)|"
        r"watch porn|sleep with|get naked|undress|send (?:nudes|pictures))",
        r"(?:comes|came|coming|gets|got) into (?:my|the kids'?|her|his) (?:bed|room) at night",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "neglect",
        r"(?:leave|leaves|left|leaving) (?:{KIDS}|them|us|me|{SIBLING})(?: and (?:{KIDS}|my \w+))? "
        r"(?:(?:home|at home|in the car|by "
        r"(?:themselves|himself|herself)) )?(?:alone|by themselves|unattended|unsupervised|for "
        r"(?:days|the weekend|hours|the night|a few days)|all (?:night|day|weekend)|overnight)"
        r"(?! (?:with|at (?:grandma|my)))",
        r"(?:{KIDS}|kids|children) (?:are|were|is|was|get|got|been|being) (?:left )?(?:home )?"
        r"alone (?:all day|all night|for days|overnight|for hours|a lot)",
        r"no food (?:in the house|at home|for (?:the|my) (?:kids?|children|baby)|in the fridge)",
        r"(?:{KIDS}|kids|children|we) (?:go|went|going|have gone|are going|have been going|been"
        r" going|go to bed|went to bed) (?:to bed )?hungry",
        r"(?:can'?t|cannot|couldn'?t|can not|unable to|not able to) (?:afford to )?(?:feed|take "
        r"care of) (?:my|the|our) (?:kids?|children|baby|family)",
        r"(?:doesn'?t|don'?t|won'?t|didn'?t|never|does not) (?:feed|feeds|bathe|change) (?:{KIDS}"
        r"|us"
        r"|me|them)",
        r"neglect(?:s|ed|ing|ful)? (?:me|us|{KIDS}|them)",
        r"(?:child|kids?) (?:neglect|abuse)",
        # A child left in a car, or unwatched: "I leave the baby in the car while I shop".
        r"(?:leave|leaves|left|leaving) (?:{KIDS}|them|him|her) (?:alone )?(?:in|inside) "
        r"(?:the|my|a|our|his|her) (?:car|truck|van)(?! (?:seat|with|for a (?:second|sec|"
        r"minute)))",
        r"(?:no ?one|nobody|no-one) (?:is |was )?(?:watching|looking after|taking care of|to "
        r"watch|to look after) (?:{KIDS}|them|the kids|my kids)",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "neglect unless_ill",
        # Children going without: "the kids haven't had a proper meal in days".
        r"(?:{KIDS}|kids|children|they|he|she) (?:haven'?t|hasn'?t|have not|has not|didn'?t|"
        r"did not|don'?t|do not|doesn'?t|does not|aren'?t|isn'?t|weren'?t|wasn'?t) (?:even )?"
        r"(?:had|have|eaten|eat|gotten|get|getting|been (?:fed|bathed|changed|to school))"
        r"(?: (?:a|any|anything|one))?(?: (?:proper|real|decent|hot|good|square|actual))?"
        r"(?: (?:meal|meals|food|dinner|breakfast|lunch|bath|baths|shower|to eat|anything to eat|"
        r"fed|bathed|changed|clean clothes|diaper changed|school))?(?: [a-z]+){0,2}? (?:(?:in|for) "
        r"(?:days|a few days|a couple (?:of )?days|two days|three days|a week|weeks|ages|"
        r"forever|a while)|since (?:yesterday|last night|the day before|monday|tuesday|wednesday|"
        r"thursday|friday|saturday|sunday|breakfast yesterday|lunch yesterday))",
        r"(?:{KIDS}|kids|children) (?:don'?t|doesn'?t|didn'?t|do not|does not|never|aren'?t|"
        r"isn'?t|weren'?t|haven'?t|hasn'?t) (?:get|gets|got|been|being|even get) (?:fed|bathed|"
        r"changed|looked after|taken care of|picked up|a meal|dinner|breakfast)",
        r"(?:forget|forgot|forgetting|forgets) to (?:feed|pick up|change|bathe|give) (?:{KIDS}|"
        r"them|him|her|the baby)",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "physical",
        # The speaker hurting a child: "I grab them really hard and shake them".
        r"i (?:[a-z']+ )?(?P<cue>(?:shake|shook|shaking|shakes) (?:{KIDS}|them|him|her|the "
        r"baby)(?: (?:so|really|too) hard| hard| until)?)",
        r"i (?:[a-z']+ )?(?P<cue>(?:grab|grabbed|grabbing|yank|yanked|squeeze|squeezed|throw|"
        r"threw|shove|shoved|push|pushed|drag|dragged) (?:{KIDS}|them|him|her) (?:so |really |"
        r"too )?(?:hard|by the (?:arm|hair|neck|collar)|against|across|into the wall|to the "
        r"(?:floor|ground)))",
        r"(?:i|i'?ve) (?:[a-z']+ )?(?P<cue>(?:left|leave|leaving) (?:bruises|marks|welts|"
        r"a bruise|a mark|handprints?|a handprint)(?: on (?:{KIDS}|them|him|her))?)",
    ),
]

_SUBSTANCE = [
    *_targets(
        SUBSTANCE_DANGER,
        "driving",
        r"(?:drive|drives|driving|drove|driven|drivin|(?:get|got|getting|gets) behind the wheel) "
        r"(?:(?:home|around|back|the kids|my kids|us"
        r"|to work|to school|the car|my car|still|like that|that way|there|them|him|her) ){0,3}"
        r"(?:drunk|high|buzzed|wasted|hammered|stoned|blacked out|"
        r"intoxicated|after (?:(?:like|about|maybe|a|some|a few|a couple(?: of)?|several|way "
        r"too many|too many|\d+|one|two|three|four|five|six|seven|eight|nine|ten) )*(?:drinks|"
        r"beers|shots|glasses of wine|glasses|bottles|drinking|smoking|using|taking|hits|pills|"
        r"joints|a bottle|the bar)|under the influence|while (?:drunk|high|intoxicated|"
        r"drinking|using)|on (?:pills|xanax|benzos))",
        r"(?:drunk|drugged|impaired) driving",
        r"(?:drinking|drunk|drank|wasted|high)(?: [a-z']+){0,4}? and (?:then )?(?:driving|drove"
        r"|drive)"
        r" (?:home|around|back|the kids|to)",
        r"(?:drink|drinking|drank) and (?:drive|driving|drove)",
        # "my first DUI" dates one of several: not the current one.
        r"(?:a |my |another |got a |get a )?(?<!first\s)(?<!previous\s)(?<!prior\s)(?<!old\s)"
        r"(?<!earlier\s)(?:dui|d\.?u\.?i\.?|dwi|d w i|d u i)\b",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "overdose",
        r"(?:over ?dos(?:e|ed|es|ing)|o\.d\.?'?(?:e?d|s|ing)?|od'(?:e?d|s|ing)|oded|oding|ods|"
        r"(?:almost|nearly) o\.?d\.?)"
        r"(?! (?:on (?:sugar|caffeine|coffee|chocolate|netflix|candy|carbs|tv|cake|love)|"
        r"prevention|awareness|training|kits?|reversal|deaths? (?:rates?|statistics)|rates?))",
        r"(?:narcan(?:ned)?|nar can|naloxone)(?: me)?",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "",
        r"(?<!power\s)(?<!lights\s)(?<!screen\s)(?<!electricity\s)(?<!city\s)(?<!grid\s)"
        r"black(?:ed|ing|s)? ?out(?: drunk)?(?! (?:curtains|shades|blinds|dates?|period|poetry|"
        r"the (?:windows|screen|names)))",
        r"blackouts?(?! (?:curtains|shades|blinds|dates?|period|poetry))",
        r"passed out (?:drunk|high|wasted|from (?:drinking|the pills|using))",
        r"(?:drink|drank|drinking|drinks)(?: [a-z]+){0,3}? (?:until|till|til) i (?:pass(?:ed)? out|"
        r"black(?:ed)? out"
        r"|can'?t remember|don'?t remember)",
        r"(?:so|too|really|that) (?:drunk|wasted|hammered|high|messed up|smashed|trashed|"
        r"plastered|loaded) (?:that )?i (?:passed out|blacked out|threw up|puked|fell|fell down|"
        r"couldn'?t (?:walk|stand|drive|see|talk)|ended up|woke up|got (?:hurt|arrested))",
        r"(?:so|too|really|that) (?:drunk|wasted|hammered|high|messed up) (?:that )?i (?:can'?t|"
        r"couldn'?t|don'?t|didn'?t) (?:even )?remember",
        r"mix(?:ing|ed|es)? (?:(?:my|the|some) )?{PILLS} (?:and|with) {ALCOHOL}",
        r"mix(?:ing|ed|es)? {ALCOHOL} (?:and|with) (?:(?:my|the|some) )?{PILLS}",
        r"(?<!for\s)(?<!about\s)(?<!of\s)"
        r"{PILLS} (?:with|and|plus|on top of|chased with|washed down with) (?:(?:a few|some|"
        r"a couple(?: of)?|like|a bottle of|a lot of|lots of) )?{ALCOHOL}",
        r"(?:took|take|taking|popped|swallowed) (?:(?:a bunch of|a handful of|some|a few|too many"
        r"|all|all of|extra|a lot of|way too many|half) )?(?:(?:my|the|of my|her|his|"
        r"some) )?(?:extra )?"
        r"{PILLS} (?:and|with|then|on top of|plus) (?:then )?(?:(?:a|some|a lot of|lots of|a "
        r"bottle of|a few|a couple(?: of)?|like) )?(?:drank|drink|drinking|{ALCOHOL}|a bottle)",
        r"(?:take|taking|took|takes|pop(?:s|ping|ped)?|chas(?:e|ing|ed)) (?:(?:my|the|some|a few|"
        r"a couple|his|her) )?(?:\w+'?s )?{PILLS} (?:with|and|down with) (?:(?:a|some) )?"
        r"{ALCOHOL}",
        r"(?:on|went on|going on|go on|after|from|coming off|came off|during) (?:a |another |"
        r"these |"
        r"my |one of my |(?:two|three|four|five|week)[\s-](?:day|long) )?(?:benders?|drinking "
        r"binges?|binges?(?= (?:on|of) (?:alcohol|booze|coke|meth|pills)))",
        r"binge[\s-]?drink(?:ing|s)?|binging on (?:alcohol|booze|coke|cocaine|meth|pills)",
        r"(?:[89]|\d\d|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|a dozen|a case of|a "
        r"fifth of|a handle of|two bottles of|a bottle of) (?:beers?|drinks|shots|cans|vodka|"
        r"whiske?y|wine|liquor|tequila|rum) (?:a|every|per|each) (?:day|night)",
        r"(?:xanax|benzos?|klonopin|valium|ativan|bars|xannies|oxy|opioids|percs|painkillers|"
        r"sleeping pills) (?:and|with|plus) (?:vodka|alcohol|booze|beer|wine|"
        r"liquor|whiskey|drinking|tequila)",
        r"(?:vodka|alcohol|booze|beer|wine|liquor|whiskey|tequila) (?:and|with|plus) (?:xanax|"
        r"benzos?|klonopin|valium|ativan|bars|xannies|oxy|opioids|percs|painkillers|sleeping "
        r"pills)",
        r"(?:withdrawal|detox|dt'?s?|delirium tremens) (?:seizures?|fits?)",
        r"(?:quit|quitting|stop|stopped|stopping|cut back on|come off|came off|coming off) "
        r"(?:drinking|alcohol|the booze|benzos|xanax|klonopin)[^.?!]{0,30}?(?P<cue>seizures?|"
        r"fits?|the shakes|dts)",
        r"(?P<cue>seizures?|fits?)[^.?!]{0,30}?(?:quit|stopped|stop|stopping|came off|coming off) "
        r"(?:the |my )?(?:drinking|benzos|xanax|klonopin|alcohol|valium|ativan|booze|pills)",
        r"(?<!for\s)(?<!about\s)(?<!of\s)"
        r"{PILLS} (?:and|with|while|plus) (?:i )?(?:drink|drinking|drank|alcohol)",
        r"(?:drink|drinking|drank) (?:on|with) (?:my )?{PILLS}",
        r"(?:drink|drinking|drank|drunk) (?:and|while|plus|then) (?:taking|take|took|popping|"
        r"on|using) (?:(?:my|some|a few|the|her|his) )?(?:klonopin|xanax|valium|ativan|benzos?|"
        r"bars|oxys?|percs?|painkillers|pain pills|sleeping pills|ambien|opioids|fentanyl|"
        r"heroin|methadone|vicodin|norcos?)",
        r"(?:tak(?:e|es|ing)|took|using|use|used|popping|popped) (?:(?:way|a lot|a bit|so much|"
        r"even|like) )*more (?:(?:of )?(?:my|the|her|his) )?(?:pills|meds|medications?|"
        r"painkillers|pain pills|{PILLS}) than (?:i'?m|i am|i was|i should|the doctor|my doctor|"
        r"prescribed|what'?s prescribed|i'?m supposed to|i'?m allowed)",
        r"(?:drink|drinking|drank|going through|go through|finishing|finish) (?:(?:like|about|"
        r"almost|nearly|at least|over|probably|maybe) )*(?:a|one|two|three|half a|a whole|a full|"
        r"an entire) (?:fifth|handle|bottle|liter|litre|case|twelve pack|twelve-pack|"
        r"eighteen pack|thirty pack|box of wine)s?(?: of \w+)? (?:a|every|per|each) "
        r"(?:day|night|morning)",
        r"(?:drink|drinking|drank|need a drink|have a drink|start drinking) (?:(?:first thing|"
        r"right when i wake up|as soon as i wake up) )?(?:in the morning )?(?:to (?:stop|calm|"
        r"get rid of|steady|settle)|for) (?:the|my) (?:shakes|shaking|tremors|hands)",
        r"(?:i was|i'?m|im|i am|i got|i get|while|when i was|still) (?:(?:pretty|really|so|a "
        r"little|kinda|way) )*(?:drunk|high|wasted|buzzed|hammered|stoned|intoxicated|tipsy|"
        r"loaded|messed up|fucked up) (?:when|while|and|but|then) (?:i )?(?:still )?(?:drove|"
        r"drive|driving|was driving|got behind the wheel|got in the car and drove)",
        r"seizures? (?:from|when|during|after) (?:withdrawal|detox|(?:i )?stop(?:ped)? "
        r"drinking|coming off)",
        r"(?:the|get|got|getting|having|have|had) (?:the )?(?:(?:really|so|very|pretty) )?"
        r"(?:(?:bad|terrible|awful|horrible|the) )?(?:shakes|dts|d\.?t\.?s|delirium "
        r"tremens)(?! (?:from (?:the )?(?:cold|fear|nerves)))",
        r"(?:use|uses|used|using|shoot(?:s|ing)? up|inject(?:s|ed|ing)?)(?: (?:heroin|fentanyl|"
        r"dope|meth|opioids|opiates|drugs|pills|it|coke|crack))? (?:alone|by myself|"
        r"with nobody around)",
        r"(?:shar(?:e|ed|es|ing)|reus(?:e|ed|ing)|dirty|used|old|use|uses|using"
        r"|shoot up with) (?:(?:a|the|"
        r"dirty|old|used|someone'?s|other people'?s|my) )?needles?",
        r"(?:shoot(?:s|ing)? up|inject(?:s|ed|ing)? (?:heroin|meth|fentanyl|drugs|dope))",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "",
        # Hard-drug use: "I did some coke today", "I took ecstasy", "did a couple of lines".
        r"(?:took|take|takes|taking|did|do|does|doing|done|snort(?:s|ed|ing)?|smok(?:e|es|ed|ing)|"
        r"us(?:e|es|ed|ing)|tried|try|trying|shoot(?:ing)?|on|hooked on|addicted to|high on|"
        r"kick|kicking|get off|getting off|coming off|come off|detox(?:ing)? (?:off|from)|"
        r"withdrawing from|score|scored|scoring) (?:(?:some|a (?:little|bit of|"
        r"lot of|couple of|few)|a couple(?: of)?|a few|more|lots of|the|my|too much|way too much|"
        r"hella|like|a bunch of|two|three|a gram of|a bag of|a bump of|bumps of) )*"
        r"(?:cocaine|coke|crack|ecstasy|molly|mdma|meth|crystal meth|heroin|dope|fentanyl|"
        r"fent|ketamine|special k|pcp|lsd|shrooms|lines(?: of coke)?|bumps|smack|"
        r"pressed pills|street pills|needle drugs)"
        r"(?! (?:dealer|test|screen|program|addicts?|users|epidemic|crisis|prevention|"
        r"education|policy|court)\b)",
        r"(?:do|doing|did|done|using|use|used|on|hooked on|addicted to|high on|smok(?:e|ing)|"
        r"snort(?:ing)?) (?:(?:street|hard|illegal|recreational|party|some|a lot of|more|the|"
        r"other|a bunch of) )*drugs(?! (?:test|screen|dealer|program|court)\b)",
        r"(?:took|take|taking|popped|pop|popping|did|doing|snort(?:ed|ing)?) (?:(?:a bunch of|"
        r"a handful of|too many|way too many|extra|a lot of|a few extra|double|triple|more|"
        r"way more|some extra|a couple extra|like) )+(?:(?:of )?(?:my|the|her|his|those) )?"
        r"(?:extra )?(?:oxys?|oxycodone|oxycontin|percs?|percocets?|xanax|bars|xannies|benzos|"
        r"klonopin|valium|ativan|painkillers|pain killers|pain pills|vicodin|norcos?|opioids|"
        r"fentanyl|adderall|roxys?)",
        r"(?:addicted to|hooked on|dependent on|can'?t stop (?:taking|using)|can'?t get off) "
        r"(?:(?:the|my|these|those) )?(?:pain ?pills|pills|painkillers|pain killers|xanax|"
        r"opioids|opiates|oxys?|oxycodone|oxycontin|percs?|percocets?|benzos|klonopin|"
        r"alcohol|booze|drinking|vicodin|norcos?|fentanyl|adderall|sleeping pills)",
        r"(?:buy|buying|bought|get|getting|got|score|scoring|scored|cop|copping|copped) "
        r"(?:(?:some|more|a few|a bunch of|my) )?(?:pills|xanax|oxys?|percs?|bars|opioids|"
        r"painkillers|fentanyl|heroin|dope|benzos|adderall) (?:off|on|from) (?:the street|"
        r"(?:a|my|some) (?:dealer|plug|guy|friend'?s dealer)|the internet|the dark web)",
        r"(?:(?:drank|drinking|had|downed|finished)(?: [a-z']+){0,4}? (?:{ALCOHOL}|drinks|beers)|"
        r"drunk|wasted|hammered)(?: [a-z']+){0,6}? (?:and|then|plus) (?:then )?(?:took|"
        r"take|taking|popped|swallowed) (?:(?:some|a few|a couple|all|a bunch|a handful) "
        r"(?:of )?)?(?:(?:my|the|his|her) )?{PILLS}",
        r"(?:scared|afraid|worried|terrified|concerned) (?:that )?(?:i'?m|i am|i'?ll|i will|i "
        r"might|i could)? ?(?:going to |gonna |gon )?(?:accidentally )?(?:overdos(?:e|ing)|"
        r"o\.?d\.?|od)(?! on (?:purpose|sugar|caffeine))",
        r"(?:keep|kept|still|keeps) drinking (?:even though|despite|although|when)(?: [a-z']+)"
        r"{0,4}? (?:my (?:liver|pancreas|heart|kidneys?|stomach)|(?:the |my )?doctor (?:said|says|"
        r"told me|warned me)|cirrhosis|pancreatitis)",
        # Intoxicated and hurt: "I was drunk and fell down the stairs".
        r"(?:drunk|wasted|hammered|high|stoned|blacked out|smashed|trashed|loaded|"
        r"(?:a few|some|too many|a lot of|several) (?:drinks|beers|shots))(?: [a-z']+){0,6}? "
        r"(?:and|then|so|when) (?:then )?(?:i )?(?:fell|fall|crashed|wrecked|totaled|hit my head|"
        r"broke my \w+|hurt myself|got hurt|ended up in (?:the )?(?:er|e r|hospital|emergency "
        r"room|jail|a ditch))",
        r"(?:fell|crashed|wrecked|hit my head|broke my \w+|ended up in (?:the )?(?:er|hospital|"
        r"emergency room))(?: [a-z']+){0,6}? (?:because|cause|'cause|since|when) i (?:was|got) "
        r"(?:so |really |too )?(?:drunk|wasted|hammered|high|stoned|blacked out|smashed)",
        # Withdrawal: "these are all withdrawal symptoms", "I'm dope sick".
        r"(?<!nicotine\s)(?<!caffeine\s)(?<!social\s)(?<!cash\s)(?<!atm\s)(?<!emotional\s)"
        r"(?<!coffee\s)(?<!sugar\s)(?<!smoking\s)(?<!cigarette\s)"
        r"withdrawals?(?: symptoms| seizures?)?(?! (?:from (?:the|my|a) (?:class|course|bank|"
        r"account|school|college|program|race|world|friends|people|family)|of (?:money|cash|"
        r"funds|consent|the|my)|slip|form|limit|method|bleeding))",
        r"(?:dope|drug|junk|heroin|opiate|opioid)[\s-]?sick",
        r"(?:detoxing|detoxed|detox) (?:on my own|at home|by myself|cold turkey|alone)",
        r"(?:coming|came|come) off (?:the )?(?:booze|alcohol|heroin|opiates|opioids|benzos|"
        r"xanax|drugs|dope|fentanyl|methadone|suboxone) (?:cold turkey|on my own|by myself|"
        r"at home|alone)",
        # Drunk past the point of memory or control.
        r"(?:drunk|drank|drink|drinking|drinks) (?:so|too|that) much (?:that )?i (?:can'?t|"
        r"couldn'?t|don'?t|didn'?t|can not|could not|do not|did not) (?:even )?remember",
        r"(?:take|took|taking|takes) it so far (?:that |where |to where )?i (?:can'?t|couldn'?t|"
        r"don'?t|didn'?t) (?:even )?remember",
        r"(?:i'?m|im|i am|i was|i get|i got|i'?ve been|i keep getting|i kept getting|getting|get|"
        r"got) (?P<cue>(?:(?:just|so|really|way|like|always|often|usually|pretty|super|too|"
        r"sometimes) )*(?:too|way too|fallen down|falling down|blind|black ?out|sloppy|stupid) "
        r"(?:too )?(?:drunk|wasted|hammered|high|smashed|trashed|plastered|messed up|"
        r"fucked up|out of it|loaded|blitzed))(?! (?:to (?:care|function|work)|on (?:life|love)))",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "needs_intox",
        r"(?P<cue>(?:can'?t|cannot|couldn'?t|don'?t|didn'?t|do not|did not|could not) (?:even )?"
        r"(?:really )?remember (?:much|anything|a thing|the night(?: before)?|last night|"
        r"the end of the night|"
        r"how i got home|getting home|driving home|going to bed|what happened|most of the night|"
        r"half the night|the rest of the night))",
        r"(?:woke|wake|waking) up (?:somewhere|in (?:a|some) (?:stranger'?s|strange|random))"
        r"(?: place| house| bed| car)?(?: (?:i|and) (?:didn'?t|don'?t) (?:know|recogni[sz]e))?",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "",
        # Driving after drinking, in either order.
        r"(?:drove|drive|drives|driving|driven)(?: [a-z'-]+){0,8}? (?:and|after|when|while|"
        r"but|even though|though) (?:i'?d had|i had|i'?ve had|i have had|i'?d|i was|having had|"
        r"had) "
        r"(?:(?:like|about|maybe|at least|probably|a|some|way|too) )*{NUM} "
        r"(?:drinks|beers|shots|glasses(?: of wine)?|bottles|pints|hits|joints|cocktails|"
        r"seltzers|margaritas)",
        r"(?:had|drank|downed|after) (?:(?:like|about|maybe|at least|probably|a|some|way|too) )*"
        r"{NUM} (?:drinks|beers|shots|glasses(?: of wine)?|bottles|pints|"
        r"cocktails|margaritas)(?: [a-z'-]+){0,6}? (?:and|then|before) (?:then )?(?:i )?(?:drove|"
        r"drive|driving|got behind the wheel|got in the car)",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "needs_intox",
        # Dangerous states after using: "my roommate couldn't wake me up".
        r"(?:couldn'?t|could not|can'?t|cannot|wouldn'?t) (?:get me to )?wake me(?: up)?|"
        r"found me (?:passed out|unconscious|unresponsive|not "
        r"breathing|blue|on the (?:floor|bathroom floor))",
        r"(?:i )?(?:stopped breathing|turned blue|went blue|nodded out|nodding out|was "
        r"unresponsive)",
        r"(?:heart|chest) (?:was )?(?:racing|pounding) (?:so (?:hard|fast) )?(?:that )?i thought "
        r"(?:i was|i'?d|it'?d|it would|it was going to) (?:dying|die|stop|explode|have a heart "
        r"attack)",
        # The habit is killing the speaker: "the heroin is going to kill me".
        r"(?:the )?(?:heroin|drugs|drinking|alcohol|booze|pills|meth|coke|fentanyl|using|dope|"
        r"crack|it|this) (?:is|are|'s|'re|will|would|'ll)? ?(?:going to|gonna|gon|about to|"
        r"gonna end up)? ?(?:kill|killing) me(?: (?:this time|one day|someday|eventually|soon))?",
    ),
]

# Broader phrasings per kind (C-SSRS item wordings, common passive ideation, slang, the
# speaker as the one who harms): kept apart from the lists above so that each stays the
# pattern family it documents.
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MORE = [
    *_targets(
        SUICIDAL_IDEATION,
        "passive",
        # "I can't go on like this", "I can't keep going anymore".
        r"(?:can'?t|cannot|can not|couldn'?t|don'?t think i can|not sure i can|unable to) "
        r"(?:keep (?:going|on)|go on)(?= *(?:[.!?;,]|$|(?:like this|anymore|any more|living|"
        r"much longer|for much longer|with (?:life|living|this life))\b))",
        r"(?:no|not (?:a|any)|isn'?t (?:a|any)|zero) (?:real )?point (?:in )?(?:liv(?:e|ing)|being "
        r"alive|going on|waking up|staying alive|existing|being here)(?! (?:in|with|at|near|like|"
        r"here|there|so close)\b)",
        r"(?:i|to|about|of|just|wanna|i'?d) (?:just )?(?:disappear(?:ing)?|vanish(?:ing)?) "
        r"(?:forever|for good|permanently|off the face of the earth)",
        r"(?:think(?:s|ing)?|thought(?:s)?|dream(?:s|ing)?|imagin(?:e|es|ed|ing)|pictur(?:e|es|"
        r"ed|ing)|fantasi[sz](?:e|ing)) (?:a lot )?(?:about|of)? ?my (?:own )?funeral",
        r"(?:what if|wish|wished|if only) i (?:just )?(?:wasn'?t|weren'?t|was not|were not|didn'?t"
        r" exist)(?: here| around| alive)?(?: anymore| any more)?(?= *(?:[.!?;,]|$))",
        r"(?:the )?only (?:reason|thing) (?:(?:that )?(?:i'?m|i am|im) still (?:here|alive|around)|"
        r"(?:that )?(?:keeps|is keeping|'?s keeping|keeping) me (?:here|alive|going|around))",
        r"(?:wish|wished|wishing|hope|hoping|pray|praying) (?:that )?(?:i could|to|i would|i'?d) "
        r"(?:just )?(?:go to sleep|fall asleep|sleep) (?:forever|and (?:never|not) (?:wake|come) "
        r"(?:up|back))",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "preparation",
        # "I know how I'd do it", "I've been thinking about how I'd do it".
        r"(?P<bare>)(?:know|knew|thinking|thought|think|figured out|figure out|planned|"
        r"planning|decided|picked|worked out|research(?:ed|ing)?|googl(?:ed|ing)|looked up) "
        r"(?:about |out |up )?"
        r"(?:exactly |already )?(?:how|when|where) (?:i'?d|i would|i'?ll|i will|i could|i'?m "
        r"going to|i'?m gonna|im gonna|im going to|to) (?:do it|end it|go through with it)"
        r"(?! (?:better|differently|again|right|next time|for (?:work|school|the|my)|if|"
        r"without)\b)",
        # A note: "I wrote a note last night", "I left a goodbye note for my kids".
        r"(?:wrote|written|writing|write|left|leaving) (?:a|my|the) (?:goodbye |suicide |farewell |"
        r"final |last )?(?:note|letter)(?= *(?:[.!?;]|$|(?:last night|yesterday|this (?:week|"
        r"morning)|on " + _WEEKDAY + r"|again)(?: *[.!?;,]|$)|(?:for|to) (?:my (?:family|kids|"
        r"children|parents|wife|husband)|everyone|everybody)(?: *[.!?;,]|$)))",
        # Carbon monoxide: "I sat in the garage with the car running".
        r"(?:sat|sit|sitting|sits) in (?:the|my) (?:garage|car)(?: [a-z']+){0,4}? with the (?:car|"
        r"engine|motor) (?:running|on)|(?:car|engine) running in (?:the|a|my) (?:closed |shut )?"
        r"garage",
        r"(?:giv(?:e|ing)|gave|given) away (?:(?:a lot of|some of|most of|all of|all) )?(?:my |"
        r"the )?(?:things|stuff|belongings|possessions)(?! (?:to (?:charity|goodwill)|for (?:the|"
        r"a) move)\b)",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "preparation",
        # Means at hand: "I sat in the tub with a razor for an hour".
        r"(?:sat|sit|sitting|stood|standing|lay|lying|laying) (?:in|on|at) (?:the|a|my) (?:tub|"
        r"bath|bathtub|edge|ledge|bridge|roof|rooftop|tracks|railing)(?: [a-z']+){0,3}? with "
        r"(?:a|the|my|all my) (?:razor|knife|blade|pills|rope|gun|bottle of pills|belt|cord)",
    ),
    *_targets(
        SUICIDAL_IDEATION,
        "method needs_pills",
        # The pills named before: "looking at the pills ..., thinking about taking them all".
        r"(?:tak(?:e|ing)|took|swallow(?:ing|ed)?|down(?:ing|ed)?) (?:them|those|these|it) all|"
        r"(?:tak(?:e|ing)|took|swallow(?:ing|ed)?) (?:all of|every one of|the whole bottle of) "
        r"(?:them|those|these)",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "needs_intox",
        r"(?:scared|afraid|worried|terrified) (?:of|about|i'?ll|i will|i might|that i'?ll) "
        r"(?:having |have |get |getting )?(?:a )?(?:seizures?|fits?|the dts|dts|the shakes)",
    ),
    *_targets(
        SELF_HARM,
        "",
        # "sh" as clients write and say it: "I relapsed on sh", "sh urges".
        r"(?:relaps(?:e|ed|ing) (?:on|with|into)|urges? to|urge for|clean from|clean off|free "
        r"from|i|i'?ve|been|started|start|stop(?:ped)?|quit|back to|doing|did) (?P<cue>sh)"
        r"(?![a-z'])",
        r"(?P<cue>sh) (?:urges?|scars|relapses?|again)\b",
        r"(?:pull(?:s|ed|ing)?|rip(?:s|ped|ping)?|yank(?:s|ed|ing)?) (?:out )?(?:my|chunks of my|"
        r"clumps of my) (?:own )?(?:hair|eyelashes|eyebrows)(?: out)? (?:on purpose|to (?:feel|"
        r"punish|hurt|cope)|until|till|til|so hard (?:it|that))",
        r"(?:punch(?:ed|es|ing)?|hit(?:s|ting)?|slam(?:s|med|ming)?) (?:the |a |my )?walls? "
        r"(?:on purpose|to (?:hurt|feel|punish) myself|until (?:my )?(?:knuckles|hands?|fists?) "
        r"(?:bled|bleed|split|broke))",
        r"(?:razor(?: blade)?s?|blades?|box cutter)(?: [a-z']+){0,8}? (?:(?:i'?ve|i have|i) "
        r"(?:been )?)?(?:using|use|used) (?:it|them)(?! (?:to|for)\b)",
        r"(?:marks|cuts|burns|scratches|wounds) on my (?:wrists?|arms?|legs?|thighs?|stomach|"
        r"hips?|forearms?),? (?:i|i'?ve) (?:did|made|do|done|gave myself) "
        r"(?:those|them|these|that)",
        r"(?:i|i'?ve|i have) (?:\w+ )?(?P<cue>cut (?:deeper|too deep|really deep|deep enough))",
    ),
    *_targets(
        HOMICIDAL_IDEATION,
        "",
        r"(?:get(?:ting)?) (?:him|her|them|'?em|{PERSON}) back (?:for (?:what|everything|this|"
        r"that)|after what)",
        r"(?:put(?:ting)?|shove|shoving|smash(?:ing)?|bash(?:ing)?|ram(?:ming)?) (?:my fist|a "
        r"brick|a bat|a bottle|my knee) (?:through|in|into) (?:his|her|their|{PERSON}'?s) "
        r"(?:face|head|skull|teeth)",
        r"(?:bash|smash|cave|kick|beat)(?:ing)? (?:his|her|their|{PERSON}'?s) (?:face|head|"
        r"skull|teeth) in",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "physical",
        # The speaker hurting a partner or parent: "I've been hitting my partner".
        r"(?:i|i'?ve|ive|i'?m|im|i'?d|id) (?:[a-z']+ ){0,2}?(?P<cue>(?:hitting|slapping|"
        r"smacking|punching|shoving|pushing|kicking|choking|beating|hit|slapped|smacked|"
        r"punched|shoved|pushed|kicked|choked) "
        r"(?:my|the) (?:wife|girlfriend|husband|boyfriend|partner|fiance|fiancee|mom|mother|dad|"
        r"father|grandma|grandmother|grandpa|grandfather))(?!'?s)(?! (?:with (?:a )?(?:ball|"
        r"pillow)|back|up)\b)",
        r"(?:gave|gives|give|left|leaves) me (?:a )?(?:black eye|bruises?|a split lip|a fat lip|"
        r"marks|welts)|(?:bruises|marks|welts|a black eye|a split lip) (?:from|where) (?:him|her|"
        r"he|she|my (?:husband|wife|boyfriend|girlfriend|partner|dad|father|mom|mother|stepdad|"
        r"stepmom|ex))",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "sexual",
        r"forc(?:es|ed|ing) (?:me|{KIDS}) (?:to )?(?:do (?:stuff|things|it|sexual \w+)|into "
        r"(?:sex|bed|doing (?:stuff|things)))",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "neglect",
        # Dependents without their care: "I haven't been giving grandma her meds".
        r"(?:not|haven'?t been|hadn'?t been|stopped|forget|forgot|forgetting|skip(?:ped|ping)?|"
        r"don'?t|didn'?t|never) (?:giv(?:e|ing)|gave) (?:grandma|grandpa|granny|my (?:grand(?:ma|"
        r"pa|mother|father|son|daughter)|mom|mother|dad|father|kids?|son|daughter|baby)|him|"
        r"her|them|the (?:kids?|baby)) (?:her|his|their) (?:meds|medications?|medicine|insulin|"
        r"pills|inhaler|food|meals|dinner)",
        r"(?:go|goes|going|gone|went) without (?:his|her|their|any) (?:insulin|meds|"
        r"medications?|medicine|food|meals|inhaler)",
    ),
    *_targets(
        ABUSE_NEGLECT,
        "neglect",
        r"(?:{KIDS}|kids|children|they) (?:have been|has been|are|were|is|was|stay|stays|stayed|"
        r"been|get|got) (?:left )?(?:(?:home|at home) )?alone(?: (?:at home|at the house|in the "
        r"house|in the apartment))? (?:all day|all night|for days|overnight|for hours|a lot|"
        r"(?:while|when) i(?:'?m| am| work| go)\b)",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "driving",
        # "I drove back from the bar pretty hammered".
        r"(?:drive|drives|drove|driving|driven) (?:(?!(?:he|she|they|everyone|everybody|got|get|"
        r"gets|were|was|are|is|my|his|her|their|a|the friend)\b)[a-z']+ ){0,5}?(?:(?:pretty|"
        r"really|so|super|kinda|a little|way too|too|totally|completely) )?(?:drunk|high|buzzed|"
        r"wasted|hammered|stoned|trashed|smashed|tipsy|blitzed|plastered)(?! (?:friend|friends|"
        r"dad|mom|husband|wife|brother|sister|guy|guys|people|person|buddy|roommate|boyfriend|"
        r"girlfriend|driver|drivers)\b)",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "needs_intox",
        r"(?:woke|wake|waking) up (?:on|in) (?:the|a|my|some) (?:[a-z']+ )?(?:floor|ditch|street|"
        r"sidewalk|lawn|yard|er|hospital|cell|jail|stairs|gutter|bathtub|tub)",
        r"(?:no idea|didn'?t know|don'?t know|can'?t remember|couldn'?t remember) how i got "
        r"(?:there|home|back)",
        r"(?:shouldn'?t|should not|should never) (?:have|of) (?:driven|drove|drive|gotten behind "
        r"the wheel|got behind the wheel|been driving)",
        r"(?:almost|nearly) (?:didn'?t|did not) (?:wake up|make it)|(?:laced|cut) with "
        r"(?:fentanyl|fent|something)",
    ),
    *_targets(
        SUBSTANCE_DANGER,
        "",
        r"(?:drink(?:ing)?|drank|using|use|used|smok(?:e|ing) (?:weed|crack|meth|pot)|do(?:ing)? "
        r"(?:drugs|coke|meth|heroin)|tak(?:e|ing) (?:pills|xanax|oxys?|benzos))(?: [a-z']+)"
        r"{0,5}? (?:while|when|though|even though|and) (?:i'?m|i am|im|i was|being) (?:still )?"
        r"pregnant",
        r"(?:i'?m|i am|im) pregnant (?:and|but) (?:i'?m |i )?(?:still )?(?:drinking|using|"
        r"drink|use|doing drugs)",
    ),
]

_ALL_TARGETS = (*_SI, *_HI, *_SH, *_ABUSE, *_SUBSTANCE, *_MORE)
_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}

# Figurative uses of risk words: a target overlapping one of these is not a finding.
_FIGURATIVE_RE = re.compile(
    "|".join(
        [
            r"\b(?:is|are|was|were|'s|'re|s|re|keeps|kept)(?:\s+\w+ly)?\s+(?:\w+\s+)?killing me\b",
            r"\bkill(?:ing)? (?:for|time|it|two birds|the (?:mood|vibe|lights|engine|bottle"
            r"|game))\b",
            r"\b(?:die|dying|died|dead) (?:of|from) (?:embarrassment|shame|laughter|laughing"
            r"|boredom"
            r"|cuteness|happiness|excitement|curiosity|jealousy|the heat)\b",
            r"\b(?:die|dying|died|dead) laughing\b",
            r"\bdying (?:to|for)\b",
            r"\b(?:to|would|'d|could) die for\b",
            r"\bdrop[\s-]?dead\b(?! on)",
            r"\b(?:bored|scared|scare \w+|worried|sick|frozen|freezing|love \w+|tickled|stressed) "
            r"to death\b",
            r"\bdead (?:tired|serious|on|wrong|right|set|end|beat|broke|last|inside)\b",
            r"\bover my dead body\b",
            r"\bcould (?:have|of|'ve) died\b",
            r"\b(?:nearly|almost) died (?:of|from|laughing|when)\b",
            r"\b(?:just )?kill me now\b",
            r"\bwhat doesn'?t kill (?:you|me)\b",
            r"\bkill(?:s|ed|ing)? (?:myself|me) (?:laughing|with (?:work|stress|worry))\b",
            r"\b(?:so |really |super |totally )?(?:embarrass(?:ed|ing)|mortified|humiliat(?:ed|ing)"
            r"|awkward|cringe(?:y)?)(?! to (?:say|admit|tell|talk))[^.?!]{0,25}?\b(?:wanted|want|"
            r"could|thought i(?:'?d| would)?) (?:to )?(?:just )?(?:die|crawl)\b",
            r"\b(?:want(?:ed)?|could) (?:to )?(?:just )?die[^.?!]{0,15}?(?:it was so "
            r"(?:embarrassing|awkward|cringe))",
            r"\bsuicid(?:e|al) (?:squad|doors|king|mission|run|rates?|statistics|prevention|"
            r"awareness)\b",
            r"\b(?:movie|book|show|film|documentary|podcast|article|song|episode|class|lecture|"
            r"training|video|series|novel|essay|paper|research) (?:about|on) suicide\b",
            r"\bhurt (?:his|her|their|my|your) feelings\b",
            r"\b(?:like|as much as|just as|the same way) (?:he|she|they|you) (?:hurt|hurts|"
            r"has hurt|have hurt) me\b",
            r"\bhurt(?:ing)? (?:my ?self|me ?self) in the long (?:run|term)\b",
            r"\bhit(?:s|ting)? (?:me|us|you) up\b",
            r"\bdie (?:my|your|his|her|their|the) (?:hair|shirt|clothes|eggs)\b",
            r"\b(?:shoot|shot|shooting) (?:him|her|them|me|you|\w+) (?:a|an) (?:text|message|email|"
            r"note|line|dm|look|quick)\b",
            # "so-and-so held a gun to my head and made me ...": coerced chores, not a weapon.
            r"\b(?:held|holds|holding|hold|put|puts|putting) a gun to (?:my|your|his|her|our) "
            r"head(?: and)?(?: to)? (?:make|made|makes|making|force|forced|forcing) (?:me|you|him|"
            r"her|us)\b",
            r"\b(?:no ?one|nobody|no-one|if (?:you|someone|somebody) (?:held|put))(?: (?:is|was))?"
            r"(?: (?:holding|held|put|putting))? a gun to (?:my|your|his|her) head\b",
            # An outing that bored or embarrassed: "that movie was so bad I wanted to die".
            r"\b(?:movie|film|show|game|match|date|meeting|class|lecture|presentation|speech|"
            r"concert|song|joke|food|meal|traffic|wait|line|party|episode|play|book|exam|test|"
            r"interview|sermon|wedding|flight|drive|commute|workout|hike|run|practice|joke)s? "
            r"(?:was|is|were|are|got) (?:so|too|that|really|just) (?:\w+ ){0,2}?(?:that )?i "
            r"(?:\w+ )?(?:wanted to|want to|wanna|could|thought i(?:'?d| would| was going to)) "
            r"(?:just )?(?:die|kill myself|shoot myself)\b",
            r"\b(?:substance|drug|alcohol|opioid|prescription|pill|opiate|cocaine|meth|self|"
            r"sub)[\s-]+abus\w*",
        ]
    )
)
_ACCIDENT_RE = re.compile(
    r"\b(?:accident(?:al|ally)?|by mistake|tripped|fell|a fall|fallen|itch\w*|rash|eczema|"
    r"mosquito|bug bites?|hives|slipped (?:on (?:the|a|some|ice|water|wet)|in (?:the|a)|off|"
    r"and fell|down)|stumbled|lost my (?:footing|balance)|sprain\w*|"
    r"twisted|(?:had|have|took) a (?:fall|tumble|spill)|unsteady|unstable|instable|dizzy)\b"
)
# "hurt myself" / "injured myself" say nothing of intent: an accident anywhere outweighs them.
_GENERIC_INJURY_RE = re.compile(r"(?:hurt|hurting|hurts|injur\w+) (?:my ?self|me ?self)\b")
# "this urge to hurt him": the urge is the speaker's, whatever "this" is.
_URGE_RE = re.compile(r"(?:urges?|thoughts?|impulses?|fantas\w+|dreams?|images?)\b")
# Voices commanding harm are the speaker's risk whoever "tells" it.
_COMMAND_RE = re.compile(r"(?:tell|told|command)")

_QUESTION_RE = re.compile(
    r"^(?:(?:so|and|okay|ok|alright|all right|now|well|um+|uh+|but|also|just|then|right|"
    r"i'?m (?:curious|wondering)|i wonder|i (?:have|need|want|'?d like) to ask(?: you)?|"
    r"let me ask(?: you)?|can i ask(?: you)?|may i ask|i ask everyone|i ask all my clients)"
    r"[\s,]+)*(?:have|has|had|do|does|did|are|is|was|were|would|could|can|will|any|anything|"
    r"how|what|when|where|why|who|ever|tell me|can you tell me|is there|are there)\b"
)
_TAG_QUESTION_RE = re.compile(
    r"(?:\b(?:are|do|did|have|were|would|is|was|will|can|could) you|\bright|\bcorrect|\bno)\W*$"
)
_ASKING_YOU_RE = re.compile(
    r"^(?:(?:so|and|okay|ok|alright|now|well|um+|uh+|but|also|just)[\s,]+)*(?:(?:have|do|did|"
    r"are|were|would|could|will|can) you|any|ever|is there|are there|has anyone|does anyone|"
    r"did anyone)\b"
)
_MID_QUESTION_RE = re.compile(
    r"\b(?:has|have|does|did|is|was) (?:that|this|it|anything like that) (?:ever )?(?:happened|"
    r"been|come up|crossed your mind|something)\b|\b(?:have|do|did|are|were|would|could|will) "
    r"you (?:ever |been |had |have |currently |still |also )?(?:had|have|been|felt|feel|thought|"
    r"think|noticed|tried|done|used|experienced|having|thinking|feeling|planning|considered|"
    r"considering|hurt|hit|cut|drink|use|drive|driven)\b"
)
_FIRST_PERSON_RE = re.compile(
    r"\b(?:i|i'?m|im|i'?ve|ive|i'?d|me|my|myself|mine|us|our|ourselves|we)\b"
)
_SECOND_PERSON_RE = re.compile(r"\b(?:you|your|yourself|yourselves|you'?re|youre)\b")
_THIRD_PERSON_RE = re.compile(r"\b(?:himself|herself|themselves|themself|his|their)\b")

# ----------------------------------------------------------------------------- indicators

_INDICATORS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, _compile(source))
    for label, source in (
        (
            "plan",
            r"(?:have|got|made|making|came up with|worked out|figured out|thought out|thought "
            r"through|there'?s)(?: [a-z']+){0,2}? plans?|(?:a|my|the) plan\b|planned (?:it|out|how|"
            r"when|everything)|planning (?:it|how|when|to)|figured out (?:how|when|where)|"
            r"know (?:exactly )?(?:how|when|where) (?:i'?d|i would|i'?m going to|i will|to) do it|"
            r"how i(?:'?d| would| will| am going to|'?m going to) do it|picked (?:a|the) "
            r"(?:date|day|spot|place|time)",
        ),
        (
            "intent",
            r"(?:going to|gonna|gon|will|'?ll|plan(?:ning)? (?:to|on)|intend(?:ing)? to|decided to|"
            r"about to|made up my mind(?: to)?|figured out how to) (?:finally )?(?:kill|end|do it|"
            r"do this|go through with|act on|hang|shoot|jump|overdose|od|take (?:all|my|the) pills"
            r"|take my (?:own )?life|slit|murder|stab|strangle)|intent(?:ion)?s?\b|"
            r"go through with it|act on (?:it|them|the thoughts)",
        ),
        (
            "means",
            r"(?:have|has|got|bought|buy|buying|get|getting|own|keep|kept|saved|saving|stockpil\w*|"
            r"hoard\w*|collect\w*|stash\w*|access to|there'?s|there is|found)(?: [a-z']+){0,3}? "
            r"(?:gun|guns|firearm|pistol|handgun|rifle|shotgun|pills|rope|noose|razor|razors|"
            r"blade|blades|knife|knives|bullets|ammo|tylenol|sleeping pills|oxy\w*|fentanyl)|"
            r"(?:pills|meds|medications?|tablets) (?:saved|stockpiled|stashed|hidden|put away|set "
            r"aside)|\w+'?s (?:gun|guns|pistol|rifle)",
        ),
        (
            "timeline",
            r"tonight|tomorrow|this (?:coming )?weekend|next (?:week|month|weekend)|on (?:monday|"
            r"tuesday|wednesday|thursday|friday|saturday|sunday|my birthday|the anniversary)|"
            r"when (?:he|she|they|everyone|the kids|my (?:husband|wife|kids|parents|roommate)) "
            r"(?:leaves?|is gone|are gone|goes|go|gets out)|before (?:christmas|my birthday|the "
            r"holidays|the end of)|after (?:the (?:funeral|wedding|holidays)|my (?:birthday|kids))",
        ),
        (
            "preparation",
            r"(?:wrote|write|writing|written|left) (?:(?:a|my|the) )?(?:suicide note|goodbye "
            r"(?:notes?|letters?)|will)|(?:giv(?:e|ing)|gave) away (?:my|all my)|said (?:my )?"
            r"goodbyes?|saying goodbye|noose|tied (?:a|the) rope|(?:looked|look|looking) up how|"
            r"googled|researched|rehearsed|practiced|(?:went|drove|go|going) to the (?:bridge|"
            r"tracks|roof)|(?:stood|standing|sat|sitting) on the (?:edge|ledge|bridge|roof|tracks)"
            r"|(?:saved|saving|stockpil\w*|hoard\w*|stash\w*) (?:up )?(?:my |the |all my )?"
            r"(?:pills|meds)",
        ),
        (
            "attempt",
            r"(?:tried|try|trying|attempt(?:ed|s)?) (?:to )?(?:kill|end|hang|overdose|od|drown|jump"
            r"|shoot|take my (?:own )?life|suicide)|suicide attempt|(?:took|swallowed|downed) "
            r"(?:a bunch|all|a handful|the whole bottle|a whole bottle|too many)|overdosed on "
            r"purpose|attempted(?: suicide| again| before)?",
        ),
    )
)
_MEDICAL_RE = re.compile(
    r"\b(?:stitch(?:es)?|sutures?|er|e\.r\.|emergency room|hospital|urgent care|too deep|"
    r"(?:really |so |very )?deep(?:er)?|to the bone|(?:won'?t|wouldn'?t|didn'?t) stop bleeding"
    r"|(?:lots|a lot|so much) of blood|infected|passed out|fainted|tendons?)\b"
)
_ABUSE_HIGH_RE = re.compile(
    r"\b(?:gun|knife|knives|weapon|chok(?:e|es|ed|ing)|strangl\w*|bruis\w*|black eye|"
    r"broke (?:my|his|her)|broken|hospital|er|emergency room|concussion|bleeding|kill (?:me|us|"
    r"the kids|my)|unconscious|passed out|stitches)\b"
)


# ----------------------------------------------------------------------------- detection


@dataclass(frozen=True, slots=True)
class _Candidate:
    target: _Target
    start: int
    end: int


def _compact(norm: str) -> tuple[str, list[int]]:
    """``norm`` without pure fillers, and each kept character's index in ``norm``."""
    pieces: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _PURE_FILLER_RE.finditer(norm):
        if m.start() == 0 or norm[m.start() - 1] in ' ,-\u2013\u2014\u2026"':
            pieces.append(norm[pos : m.start()])
            index.extend(range(pos, m.start()))
            pos = m.end()
    pieces.append(norm[pos:])
    index.extend(range(pos, len(norm)))
    return "".join(pieces), index


def _candidates(original: str) -> list[_Candidate]:
    """Target matches in normalised text, figurative and accidental uses dropped.

    Matching runs on the text with pure fillers cut; spans are mapped back to ``original``.
    """
    norm, index = _compact(original)
    figurative = [m.span() for m in _FIGURATIVE_RE.finditer(norm)]
    found = []
    for target in _ALL_TARGETS:
        for m in target.regex.finditer(norm):
            start, end = m.span("cue") if "cue" in target.regex.groupindex else m.span()
            if start >= end:
                continue
            if any(s < end and start < e for s, e in figurative):
                continue
            if target.kind == SELF_HARM and _ACCIDENT_RE.search(norm, max(0, start - 30), end + 30):
                continue
            if (
                target.kind == SELF_HARM
                and _GENERIC_INJURY_RE.match(norm, start)
                and (_ACCIDENT_RE.search(norm))
            ):
                continue  # "had a fall ... and hurt myself": an injury, not self-harm
            if any(
                tag in _NOT_AFTER
                and _NOT_AFTER[tag].search(norm, max(0, start - 40), start)
                and not (tag == "agent" and _COMMAND_RE.match(norm, start))
                and not (tag == "agent" and _URGE_RE.match(norm, start))
                for tag in target.tags
            ):
                continue
            if "physical" in target.tags and _VEHICLE_RE.search(norm):
                continue
            if "physical" in target.tags and _ANIMAL_RE.search(norm, max(0, start - 40), start):
                continue  # "the puppy scratches and bites me"
            if (
                target.kind == SUBSTANCE_DANGER
                and _BLACKOUT_RE.match(norm, start)
                and _POWER_RE.search(norm)
            ):
                continue  # a power cut
            if (
                "driving" in target.tags
                and _NOMINAL_RE.match(norm, start)
                and _GENERIC_AFTER_RE.match(norm, end)
            ):
                continue  # "drunk driving is an issue": a general statement
            if (
                target.kind == HOMICIDAL_IDEATION
                and _JOKE_RE.search(norm)
                and not _NOT_JOKE_RE.search(norm)
            ):
                continue  # said in jest
            if "needs_pills" in target.tags and not _PILLS_RE.search(norm):
                continue
            if "needs_intox" in target.tags and not _INTOX_RE.search(norm):
                continue
            if "unless_ill" in target.tags and _ILLNESS_RE.search(norm):
                continue  # "the baby hasn't eaten since yesterday, it's a virus"
            if "physical" in target.tags and _PLAY_RE.search(norm):
                continue  # "he pinned me down when we were wrestling"
            found.append(_Candidate(target, index[start], index[end - 1] + 1))
    # "I know how I'd do it" says what "it" is only when nothing else in the utterance does.
    if any("bare" in c.target.regex.groupindex for c in found):
        kinds = {c.target.kind for c in found if "bare" not in c.target.regex.groupindex}
        found = [c for c in found if "bare" not in c.target.regex.groupindex or not kinds]
    # Overlaps: the longer target wins, then the kind listed first in KINDS.
    found.sort(key=lambda c: (-(c.end - c.start), _KIND_RANK[c.target.kind], c.start))
    kept: list[_Candidate] = []
    for c in found:
        if not any(k.start < c.end and c.start < k.end for k in kept):
            kept.append(c)
    return kept


def _person(cue: str) -> str:
    """Whose risk the cue's own words name: self, second (you), third, or any."""
    if _FIRST_PERSON_RE.search(cue):
        return "self"
    if _SECOND_PERSON_RE.search(cue):
        return "second"
    if _THIRD_PERSON_RE.search(cue):
        return "third"
    return "any"


_VICTIM_SELF_RE = re.compile(
    r"\b(?:me|us|myself|i|i'?m|im|i'?ve|ive|(?:my|our) (?:kids?|son|daughter|children|baby|"
    r"babies|little \w+|family|siblings|brother|sister|mom|mother)|the (?:kids?|baby|children))\b"
)
_BY_AGENT_RE = re.compile(r"\bby (?:my|his|her|their|our|the|a) [a-z']+")
_HOUSEHOLD_RE = re.compile(
    r"^(?:he|hes|she|shes|they|theyre|theyve|theyd|hed|(?:my|your) (?:husband|wife|partner|"
    r"boyfriend|girlfriend|dad|father|mom|mother|step ?dad|step ?mom|step ?father|step ?mother|"
    r"brother|sister|uncle|aunt|grandpa|grandma|grandfather|grandmother|ex|ex husband|ex wife|"
    r"ex boyfriend|ex girlfriend|fiance|fiancee|son|daughter|roommate|parents|family|cousin|"
    r"step ?brother|step ?sister|kids?)s?)$"
)
_VICTIM_PASSIVE_RE = re.compile(
    r"^(?:abused|raped|molested|beaten|assaulted|neglected|hit|hurt|attacked|choked|strangled)$"
)
# "her kids", "his daughter": someone else's child, so a household member is not the abuser.
_OTHERS_CHILD_RE = re.compile(
    r"\b(?:her|his|their|(?!(?:it|that|he|she|what|there|who|where|here)'s)[a-z]+'s) (?:(?:little|"
    r"two|three|\w+[\s-]year[\s-]old) )?(?:kids?|son|"
    r"daughter|children|baby|toddler|\w+[\s-]year[\s-]old)\b"
)
_CHILD_RE = re.compile(r"\b(?:kids?|son|daughter|children|baby|toddler|newborn|little one)\b")


def _victim_window(norm: str, cand: _Candidate) -> str:
    """The cue and the rest of its clause, without a "by my husband" agent phrase."""
    after = re.split(r"[.?!;,]", norm[cand.end : cand.end + 30], maxsplit=1)[0]
    return _BY_AGENT_RE.sub(" ", norm[cand.start : cand.end] + " " + after)


def _abuse_modifiers(
    mods: list[context.Modifier], cand: _Candidate, cue: str, victim_self: bool = True
) -> list[context.Modifier]:
    """Abuse modifiers, read with the abuser in mind.

    A threat is conditional by nature ("he said he'd kill me if I left"), and a household
    member named before the abuse is the abuser, not another victim ("my husband is
    abusive"), unless the abuse is said of them ("my sister was abused").
    """
    passive = bool(_VICTIM_PASSIVE_RE.match(cue.strip()))
    kept = []
    for m in mods:
        if m.category == HYPOTHETICAL and m.start >= cand.end:
            continue
        phrase = context.normalize_phrase(m.phrase)
        if (
            m.category == OTHER_EXPERIENCER
            and not passive
            and victim_self
            and _HOUSEHOLD_RE.match(phrase)
        ):
            continue
        kept.append(m)
    return kept


_NEG_LEAD_RE = re.compile(
    r"(?:not|don'?t|do not|didn'?t|did not|never|no longer|doesn'?t|does not)\b"
)
_NEG_BEFORE_RE = re.compile(
    r"\b(?:never|not|don'?t|didn'?t|wouldn'?t|won'?t|would never|'d never|id never|no way|"
    r"couldn'?t ever|would not)(?:[\s,]+(?:like|ever|really|just|even|um|uh|you know|i mean))*"
    r"[\s,]*$|\b(?:no|haven'?t|hasn'?t|never|not|don'?t|didn'?t)(?: (?:had|have|got|get|any|"
    r"really|ever|been|having|getting))* (?:thoughts?|ideas?|feelings?|urges?) (?:of|about) *$"
)


_DEGREE_LEAD_RE = re.compile(r"(?:so|too|that) ")
_NEG_DEGREE_BEFORE_RE = re.compile(
    r"\b(?:never|not|n'?t|no longer)(?: (?:ever|really|once|even))* (?:been|got|gotten|get|gets|"
    r"be|was|were|am)(?: (?:ever|really|even))*\s*$"
)


def _double_negation(norm: str, cand: _Candidate) -> bool:
    """A cue that is itself a negation ("not want to live") negated again ("I'd never ..."),
    or a degree result denied ("I've never been so drunk I couldn't remember").
    """
    before = (max(0, cand.start - 30), cand.start)
    if _DEGREE_LEAD_RE.match(norm, cand.start):
        return bool(_NEG_DEGREE_BEFORE_RE.search(norm, *before))
    if not _NEG_LEAD_RE.match(norm, cand.start):
        return False
    return bool(_NEG_BEFORE_RE.search(norm, *before))


_SENTENCE_END_RE = re.compile(r"[.!?]")
# Words that put a clause in the present: it is not dated by a past phrase elsewhere.
_PRESENT_RE = re.compile(
    r"\b(?:i'?m|im|i am|am|i'?ve been|ive been|i have been|i keep|keeps?|still|now|nowadays|"
    r"want|wants|wanna|gonna|going to|is|are|isn'?t|aren'?t|do|does|don'?t|doesn'?t|can'?t|"
    r"(?:hits|beats|slaps|chokes|hurts|threatens|touches|kicks|pushes|shoves|grabs))\b"
)
_CLAUSE_END_RE = re.compile(r"[.!?;,]")
# Past phrases that date an event (not "used to" or "when I was drinking", which describe).
_DATED_RE = re.compile(
    r"\b(?:years?|decades?|ago|long time|when (?:i|we) (?:was|were) (?:a |in |little|young|"
    r"growing|kids?|\d+|[a-z]+teen|twenty)|high school|middle school|junior high|college|"
    r"as a (?:kid|child|teen|teenager)|growing up|back in|back then|(?:19|20)\d\d|"
    r"my (?:first|last|previous) (?:marriage|relationship))"
)
_SELF_SUBJECT_RE = re.compile(r"\b(?:i|i'?m|im|i'?ve|ive|i'?d|id|i'?ll|myself|me)\b")
_FIRST_PERSON_WORD_RE = re.compile(r"\b(?:i|i'?m|im|i'?ve|ive|i'?d|me|my|myself|mine)\b")


def _echo_question(norm: str, cand: _Candidate) -> bool:
    """The cue sits in a short question with no first-person word: "What, like suicidal?"."""
    start = max((m.end() for m in _SENTENCE_END_RE.finditer(norm, 0, cand.start)), default=0)
    end_match = _SENTENCE_END_RE.search(norm, cand.end)
    if end_match is None or end_match.group() != "?":
        return False
    words = norm[start : end_match.start()].split()
    return len(words) <= 5 and not _FIRST_PERSON_WORD_RE.search(norm, start, end_match.start())


_WILL_RE = re.compile(
    r"\b(?:swear|i'?ll|ill|i will|i'?m going to|im going to|i'?m gonna|im gonna)\b"
)


def _threat_modifiers(
    mods: list[context.Modifier], norm: str, cand: _Candidate
) -> list[context.Modifier]:
    """A conditional threat is still a threat: "I'll kill him if he ...", "if he ..., I swear I'll
    kill him". The condition is hypothetical, the intent is not; a cue inside the condition
    ("if I ever thought about hurting him") stays hypothetical.
    """
    kept = []
    for m in mods:
        if m.category == HYPOTHETICAL and context.normalize_phrase(m.phrase).split()[0] in (
            "if",
            "unless",
            "even",
            "only",
        ):
            if m.start >= cand.end:
                continue  # the condition follows the threat
            if _WILL_RE.search(norm, m.end, cand.end):
                continue  # the threat is the consequent
        kept.append(m)
    return kept


def _is_question(norm: str) -> bool:
    stripped = norm.strip()
    return "?" in stripped or bool(
        _QUESTION_RE.match(stripped)
        or _TAG_QUESTION_RE.search(stripped)
        or _MID_QUESTION_RE.search(stripped)
    )


def is_therapist(role: str | None) -> bool:
    """Whether ``role`` names the clinician (whose words are never the client's risk)."""
    return role is not None and role.strip().lower() in THERAPIST_ROLES


def _live(regex: re.Pattern[str], norm: str, sentence: SentenceContext) -> list[re.Match[str]]:
    """Matches of ``regex`` that are neither negated nor hypothetical.

    The last word is judged: "have no plan" is negated although "no" is inside the match.
    """
    live = []
    for m in regex.finditer(norm):
        last = (m.start() + max(m.group().rstrip().rfind(" "), 0), m.end())
        if sentence.assess(last).status not in ("negated", "hypothetical"):
            live.append(m)
    return live


def _indicators(norm: str, sentence: SentenceContext) -> list[str]:
    found = []
    for label, regex in _INDICATORS:
        live = _live(regex, norm, sentence)
        if live:
            found.append((live[0].start(), label))
    return [label for _, label in sorted(found)]


def plan_indicators(text: str) -> list[str]:
    """Signs of a plan in ``text``, in order of appearance, negated ones left out.

    Labels: ``plan``, ``intent``, ``means``, ``timeline``, ``preparation``, ``attempt``.
    """
    return _indicators(context.normalize(text), context.analyze(text))


@dataclass
class _Utterance:
    """One sentence being examined, with what is computed once for all its targets."""

    text: str
    norm: str
    sentence: SentenceContext
    therapist: bool
    question: bool
    _plan: list[str] | None = None

    @classmethod
    def of(cls, text: str, role: str | None) -> _Utterance:
        norm = context.normalize(text)
        return cls(text, norm, context.analyze(text), is_therapist(role), _is_question(norm))

    def plan(self) -> list[str]:
        if self._plan is None:
            self._plan = _indicators(self.norm, self.sentence)
        return self._plan

    def dated_past(self, cand: _Candidate) -> bool:
        """A past-dated utterance ("twenty years ago", "when I was little") with nothing
        current in it, whose cue sits in a sentence with no present-tense word.

        ConText scopes stop at clause boundaries; this reads the whole utterance, as a
        listener would, once no clause of it speaks of now.
        """
        mods = self.sentence.all_modifiers()
        if not any(
            m.category == context.HISTORICAL
            and _DATED_RE.search(context.normalize_phrase(m.phrase))
            for m in mods
        ):
            return False
        if any(m.category == context.CURRENT for m in mods):
            return False
        start = max(
            (m.end() for m in _SENTENCE_END_RE.finditer(self.norm, 0, cand.start)), default=0
        )
        end_match = _CLAUSE_END_RE.search(self.norm, cand.end)
        end = end_match.start() if end_match else len(self.norm)
        return not _PRESENT_RE.search(self.norm, start, end)

    def others_child(self, cand: _Candidate) -> bool:
        """The cue names someone else's child ("her kids", "my sister's kids")."""
        return bool(_OTHERS_CHILD_RE.search(self.norm, max(0, cand.start - 20), cand.end))

    def status(self, cand: _Candidate) -> tuple[str, list[str]]:
        """The finding's status and the modifier categories behind it."""
        cue = self.norm[cand.start : cand.end]
        person = _person(cue) if cand.target.person else "any"
        victim_self = (
            cand.target.kind == ABUSE_NEGLECT
            and bool(_VICTIM_SELF_RE.search(_victim_window(self.norm, cand)))
            and not self.others_child(cand)
        )
        if victim_self:
            person = "self"  # done to the speaker or their household
        if cand.target.kind == HOMICIDAL_IDEATION and (
            person == "third" or (person == "self" and not _SELF_SUBJECT_RE.search(cue))
        ):
            person = "any"  # "slit his throat", "kill my brother": the possessive names the victim
        ignore = (OTHER_EXPERIENCER,) if person == "self" else ()
        mods = self.sentence.modifiers_for((cand.start, cand.end), ignore=ignore)
        if cand.target.kind == ABUSE_NEGLECT:
            mods = _abuse_modifiers(mods, cand, cue, not self.others_child(cand))
        elif cand.target.kind == HOMICIDAL_IDEATION:
            mods = _threat_modifiers(mods, self.norm, cand)
        status = context.Assertion.from_modifiers(mods).status
        categories = list(dict.fromkeys(m.category for m in mods))
        if status != "negated" and _double_negation(self.norm, cand):
            status = "negated"  # "I'd never, like, not want to live"
            categories.append(context.NEGATED)
        if status == "current" and self.dated_past(cand):
            status = "historical"  # "he hit me, but that was twenty years ago"
            categories.append(context.HISTORICAL)
        if person == "third" and status in ("current", "historical"):
            status = "other_person"
        asking_you = self.question and (
            person == "second"
            or bool(_ASKING_YOU_RE.match(self.norm.strip()))
            or (person == "any" and _echo_question(self.norm, cand))
        )
        if (self.therapist and (self.question or status == "current")) or (
            asking_you and person != "self"
        ):
            status = "question"
            categories.append("QUESTION")
        return status, categories

    def severity(self, cand: _Candidate) -> str:
        """Severity of a current finding; see the module docstring for the rules."""
        kind, tags = cand.target.kind, cand.target.tags
        if kind == SUICIDAL_IDEATION:
            return "high" if tags & {"attempt", "preparation"} or self.plan() else "moderate"
        if kind == HOMICIDAL_IDEATION:
            return "high" if set(self.plan()) - {"preparation", "attempt"} else "moderate"
        if kind == SELF_HARM:
            return "high" if _live(_MEDICAL_RE, self.norm, self.sentence) else "moderate"
        if kind == ABUSE_NEGLECT:
            child = "physical" in tags and _CHILD_RE.search(_victim_window(self.norm, cand))
            serious = tags & {"strangulation", "sexual", "weapon"} or _live(
                _ABUSE_HIGH_RE, self.norm, self.sentence
            )
            return "high" if serious or child else "moderate"
        return "high" if "overdose" in tags else "moderate"


_STATUS_RANK = {
    "current": 0, "question": 1, "hypothetical": 2, "historical": 3, "other_person": 4,
    "negated": 5,
}  # fmt: skip
_SEVERITY_RANK = {"high": 0, "moderate": 1, "low": 2}


def _rank(f: RiskFinding) -> tuple[int, int, int]:
    return _STATUS_RANK[f.status], _SEVERITY_RANK[f.severity], f.span[0]


def _best_per_kind(findings: Iterable[RiskFinding]) -> list[RiskFinding]:
    best: dict[str, RiskFinding] = {}
    for f in findings:
        if f.kind not in best or _rank(f) < _rank(best[f.kind]):
            best[f.kind] = f
    return sorted(best.values(), key=lambda f: f.span)


def warm_up() -> None:
    """Compile every pattern now rather than on the first sentence."""
    detect_risk("warm up")
    screening_kind("warm up?")


def detect_risk(text: str, role: str | None = "client") -> list[RiskFinding]:
    """Risk findings in one sentence spoken by ``role``: at most one per kind, in text order.

    Where a kind is said more than once, the most pressing mention is kept (current before
    question, hypothetical, historical, other_person and negated; then the higher severity).

    A sentence is read by the live alert, the note's extractors, the grounding check's
    re-derivation and the second opinion: the recent results are kept (findings are
    frozen), so each sentence is parsed once.
    """
    return list(_detect(text, role))


@lru_cache(maxsize=4096)
def _detect(text: str, role: str | None) -> tuple[RiskFinding, ...]:
    utterance = _Utterance.of(text, role)
    findings = []
    for cand in _candidates(utterance.norm):
        status, categories = utterance.status(cand)
        current = status == "current" and not utterance.therapist
        findings.append(
            RiskFinding(
                kind=cand.target.kind,
                severity=utterance.severity(cand) if current else "low",
                current=current,
                status=status,
                cue=text[cand.start : cand.end],
                span=(cand.start, cand.end),
                modifiers=tuple(categories),
            )
        )
    return tuple(_best_per_kind(findings))


# ----------------------------------------------------------------------------- screening

_SCREENING: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, _compile(source))
    for kind, source in (
        (
            SUICIDAL_IDEATION,
            r"(?:safe|safety) (?:tonight|right now|until|this week|over the weekend|plan)|"
            r"keep yourself safe|access to (?:a |any )?(?:guns?|firearms?|weapons?|pills)|"
            r"guns? in the (?:house|home)|thoughts? (?:of|about) (?:death|dying|not being here|"
            r"ending your life)|wish(?:ed)? you (?:were|was) dead|better off dead|"
            r"(?:kill|killing|end|ending) (?:yourself|your life)|not wanting to (?:live|be here|"
            r"wake up)|(?:want|wanted|wanting) to die",
        ),
        (
            HOMICIDAL_IDEATION,
            r"(?:hurt|hurting|harm|harming|kill|killing) (?:anyone|anybody|someone|somebody|others|"
            r"other people)|homicidal",
        ),
        (
            SELF_HARM,
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) yourself|self[\s-]?harm\w*",
        ),
        (
            ABUSE_NEGLECT,
            r"safe (?:at home|in your (?:home|relationship)|with (?:him|her|them))|(?:anyone|"
            r"anybody|someone|somebody|he|she|they) (?:ever )?(?:hurt|hurting|hit|hitting|"
            r"threaten\w*|touch\w*|abus\w*) you|afraid of (?:him|her|your \w+)|(?:hit|hurt|"
            r"threaten|push|choke)(?:s|ed)? you|abuse|abused|abusive",
        ),
        (
            SUBSTANCE_DANGER,
            r"how (?:much|often) (?:do |are )?you (?:drink|use|drinking|using)|(?:do|did) you "
            r"(?:drink|use|smoke)|drinking|using (?:drugs|alcohol|heroin|meth|opioids|pills)|"
            r"alcohol|drugs|drink and drive|drunk driving|overdos\w*|black(?:ed)? ?outs?|"
            r"use alone",
        ),
    )
)
_SCREENING_LEAD_RE = re.compile(
    r"\b(?:tell me (?:about|more)|i (?:need|have|want|'?d like) to ask|i ask (?:everyone|all)|"
    r"wondering (?:if|whether)|i'?m curious|let'?s talk about|can we talk about)\b"
)


def screening_kind(text: str) -> str | None:
    """The risk a therapist's question screens for, or None when it screens for none.

    "Have you had thoughts of harming yourself?" -> ``self_harm``; "Do you feel safe at
    home?" -> ``abuse_neglect``. A statement that is not a question or a screening lead-in
    ("tell me about ...") screens for nothing.
    """
    norm = context.normalize(text)
    if not (_is_question(norm) or _SCREENING_LEAD_RE.search(norm)):
        return None
    return _first_kind(norm)


def _first_kind(norm: str) -> str | None:
    """The kind mentioned first: "harming yourself or others" screens for self-harm."""
    found = [(c.start, _KIND_RANK[c.target.kind], c.target.kind) for c in _candidates(norm)]
    for kind, regex in _SCREENING:
        m = regex.search(norm)
        if m:
            found.append((m.start(), _KIND_RANK[kind], kind))
    return min(found)[2] if found else None
