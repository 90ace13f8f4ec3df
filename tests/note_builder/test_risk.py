"""Risk detection on single transcript sentences: kinds, statuses, severities, quotes."""

from __future__ import annotations

import logging

import pytest

from note_builder.risk import (
    KINDS,
    RiskFinding,
    detect_risk,
    plan_indicators,
    screening_kind,
)

SI = "suicidal_ideation"
HI = "homicidal_ideation"
SH = "self_harm"
AB = "abuse_neglect"
SU = "substance_danger"


def summary(findings: list[RiskFinding]) -> list[str]:
    return [f"{f.kind}:{f.status}" for f in findings]


# (text, role, expected "kind:status" list); role None means unknown speaker.
CLIENT = "client"
THERAPIST = "therapist"

STATUS_CASES = [
    # --- suicidal ideation, current
    ("I've been thinking about killing myself", CLIENT, [f"{SI}:current"]),
    ("i've honestly been thinking about killing myself", CLIENT, [f"{SI}:current"]),
    ("um, I've been, like, thinking I'd be better off dead", CLIENT, [f"{SI}:current"]),
    ("I want to end my life", CLIENT, [f"{SI}:current"]),
    ("sometimes i just want to end it all", CLIENT, [f"{SI}:current"]),
    ("I feel suicidal", CLIENT, [f"{SI}:current"]),
    ("im having suicidal thoughts again", None, [f"{SI}:current"]),
    ("I don't want to be here anymore", CLIENT, [f"{SI}:current"]),
    ("i dont want to live anymore", CLIENT, [f"{SI}:current"]),
    ("honestly I don't want to wake up tomorrow", CLIENT, [f"{SI}:current"]),
    ("everyone would be better off without me", CLIENT, [f"{SI}:current"]),
    ("I've thought about taking my own life", CLIENT, [f"{SI}:current"]),
    ("there's no reason to live", CLIENT, [f"{SI}:current"]),
    ("I keep thinking about dying", CLIENT, [f"{SI}:current"]),
    ("I just want to die", CLIENT, [f"{SI}:current"]),
    ("i wanna die", CLIENT, [f"{SI}:current"]),
    ("sometimes I wish I wouldn't wake up", CLIENT, [f"{SI}:current"]),
    ("I wish I was dead", CLIENT, [f"{SI}:current"]),
    ("I'd rather be dead than feel like this", CLIENT, [f"{SI}:current"]),
    ("I'm tired of living", CLIENT, [f"{SI}:current"]),
    ("what's the point of living", CLIENT, [f"{SI}:current"]),
    ("nobody would even miss me if I was gone", CLIENT, [f"{SI}:current"]),
    ("I hope I just don't wake up", CLIENT, [f"{SI}:current"]),
    ("I'm not sure I want to live anymore", CLIENT, [f"{SI}:current"]),
    ("I can't stop thinking about killing myself", CLIENT, [f"{SI}:current"]),
    ("not gonna lie, I've thought about ending it", CLIENT, [f"{SI}:current"]),
    ("I don't know, I just want to die", CLIENT, [f"{SI}:current"]),
    ("I'm not okay I want to kill myself", CLIENT, [f"{SI}:current"]),
    ("No, I've been thinking about suicide a lot", CLIENT, [f"{SI}:current"]),
    ("I'm not suicidal, I just want to die", CLIENT, [f"{SI}:current"]),
    ("I'm going to kill myself", CLIENT, [f"{SI}:current"]),
    ("I tried to kill myself last night", CLIENT, [f"{SI}:current"]),
    ("I can't promise I won't hurt myself", CLIENT, [f"{SH}:current"]),
    ("my mom thinks I want to kill myself and she's right", CLIENT, [f"{SI}:current"]),
    ("i have thought about jumping off the bridge", CLIENT, [f"{SI}:current"]),
    ("I wish a car would hit me", CLIENT, [f"{SI}:current"]),
    ("life isn't worth living", CLIENT, [f"{SI}:current"]),
    ("I feel like dying every day", CLIENT, [f"{SI}:current"]),
    ("I WANT TO KILL MYSELF", CLIENT, [f"{SI}:current"]),
    ("i want to kill my self", CLIENT, [f"{SI}:current"]),
    ("I don\u2019t want to be alive", CLIENT, [f"{SI}:current"]),
    ("I don't care if I die", CLIENT, [f"{SI}:current"]),
    # --- suicidal ideation, not current
    ("I'm not suicidal", CLIENT, [f"{SI}:negated"]),
    ("im not suicidal", CLIENT, [f"{SI}:negated"]),
    ("I am not suicidal at all", CLIENT, [f"{SI}:negated"]),
    ("no thoughts of killing myself", CLIENT, [f"{SI}:negated"]),
    ("I would never kill myself, I have my kids", CLIENT, [f"{SI}:negated"]),
    ("I don't want to die", CLIENT, [f"{SI}:negated"]),
    ("i dont wanna die", CLIENT, [f"{SI}:negated"]),
    ("I haven't had any thoughts of suicide", CLIENT, [f"{SI}:negated"]),
    ("no, I'm not thinking about ending my life", CLIENT, [f"{SI}:negated"]),
    ("I don't think I want to kill myself", CLIENT, [f"{SI}:negated"]),
    ("I'm not going to kill myself", CLIENT, [f"{SI}:negated"]),
    ("I never said I wanted to die", CLIENT, [f"{SI}:negated"]),
    ("client denies suicidal ideation", THERAPIST, [f"{SI}:negated"]),
    ("denies SI/HI", THERAPIST, [f"{SI}:negated", f"{HI}:negated"]),
    ("I tried to kill myself when I was sixteen", CLIENT, [f"{SI}:historical"]),
    ("years ago I attempted suicide", CLIENT, [f"{SI}:historical"]),
    ("back in high school I wanted to die", CLIENT, [f"{SI}:historical"]),
    ("I used to think about suicide", CLIENT, [f"{SI}:historical"]),
    ("I was suicidal two years ago but not since", CLIENT, [f"{SI}:historical"]),
    ("I haven't thought about suicide in years", CLIENT, [f"{SI}:historical"]),
    ("my brother attempted suicide last year", CLIENT, [f"{SI}:other_person"]),
    ("my friend killed herself", CLIENT, [f"{SI}:other_person"]),
    ("she said she wants to die", CLIENT, [f"{SI}:other_person"]),
    ("suicide runs in my family", CLIENT, [f"{SI}:other_person"]),
    ("a friend of mine is suicidal", CLIENT, [f"{SI}:other_person"]),
    ("someone I know tried to kill himself", CLIENT, [f"{SI}:other_person"]),
    ("my dad's suicide still haunts me", CLIENT, [f"{SI}:other_person"]),
    ("what if I just ended it all", CLIENT, [f"{SI}:hypothetical"]),
    ("if I lost my job I'd kill myself", CLIENT, [f"{SI}:hypothetical"]),
    ("I'd kill myself if she left me", CLIENT, [f"{SI}:hypothetical"]),
    ("if I ever felt suicidal I would call you", CLIENT, [f"{SI}:hypothetical"]),
    ("in case I want to die, who do I call", CLIENT, [f"{SI}:hypothetical"]),
    # --- therapist and questions
    ("Have you had any thoughts of killing yourself?", THERAPIST, [f"{SI}:question"]),
    ("have you had thoughts of harming yourself", THERAPIST, [f"{SH}:question"]),
    ("Are you having thoughts of suicide?", THERAPIST, [f"{SI}:question"]),
    ("do you ever wish you were dead", THERAPIST, [f"{SI}:question"]),
    ("Have you ever thought about killing yourself?", None, [f"{SI}:question"]),
    (
        "any thoughts of hurting yourself or someone else?",
        THERAPIST,
        [f"{SH}:question", f"{HI}:question"],
    ),
    ("so you've been thinking about suicide", THERAPIST, [f"{SI}:question"]),
    ("I ask everyone this, are you thinking about suicide", THERAPIST, [f"{SI}:question"]),
    ("has anyone in your family attempted suicide?", THERAPIST, [f"{SI}:question"]),
    ("you mentioned your brother attempted suicide", THERAPIST, [f"{SI}:other_person"]),
    ("would you ever hurt yourself", THERAPIST, [f"{SH}:question"]),
    ("Does he hit you?", THERAPIST, [f"{AB}:question"]),
    ("have you been driving drunk", THERAPIST, [f"{SU}:question"]),
    # --- homicidal ideation
    ("I want to kill him", CLIENT, [f"{HI}:current"]),
    ("I'm going to kill my boss", CLIENT, [f"{HI}:current"]),
    ("I've been thinking about hurting her", CLIENT, [f"{HI}:current"]),
    ("I want him dead", CLIENT, [f"{HI}:current"]),
    ("I'm gonna make them pay", CLIENT, [f"{HI}:current"]),
    ("I fantasize about strangling my ex", CLIENT, [f"{HI}:current"]),
    ("sometimes I think about shooting up the school", CLIENT, [f"{HI}:current"]),
    ("I'm scared I'll hurt someone", CLIENT, [f"{HI}:current"]),
    ("I wish he was dead", CLIENT, [f"{HI}:current"]),
    ("i would never hurt him", CLIENT, [f"{HI}:negated"]),
    ("I don't want to hurt anyone", CLIENT, [f"{HI}:negated"]),
    ("I'm not going to kill him", CLIENT, [f"{HI}:negated"]),
    ("my brother said he wants to kill his boss", CLIENT, [f"{HI}:other_person"]),
    ("Are you having thoughts of hurting anyone else?", THERAPIST, [f"{HI}:question"]),
    # --- self-harm
    ("I cut myself again last night", CLIENT, [f"{SH}:current"]),
    ("I've been cutting again", CLIENT, [f"{SH}:current"]),
    ("I used to cut and lately I've started again", CLIENT, [f"{SH}:current"]),
    ("i burn myself with a lighter when it gets bad", CLIENT, [f"{SH}:current"]),
    ("I hit myself when I get overwhelmed", CLIENT, [f"{SH}:current"]),
    ("I keep scratching my arms until they bleed", CLIENT, [f"{SH}:current"]),
    ("I want to hurt myself", CLIENT, [f"{SH}:current"]),
    ("the urge to cut is really strong this week", CLIENT, [f"{SH}:current"]),
    ("I've been self-harming", CLIENT, [f"{SH}:current"]),
    ("i started self harming again", CLIENT, [f"{SH}:current"]),
    ("I would never hurt myself", CLIENT, [f"{SH}:negated"]),
    ("I haven't cut myself since high school", CLIENT, [f"{SH}:historical"]),
    ("years ago I cut myself, but not since", CLIENT, [f"{SH}:historical"]),
    ("I used to cut myself when I was a teenager", CLIENT, [f"{SH}:historical"]),
    ("I used to cut but not anymore", CLIENT, [f"{SH}:historical"]),
    ("I don't cut myself anymore", CLIENT, [f"{SH}:negated"]),
    ("my daughter has been cutting herself", CLIENT, [f"{SH}:other_person"]),
    ("my son cuts himself", CLIENT, [f"{SH}:other_person"]),
    ("if I ever cut myself again I'll tell you", CLIENT, [f"{SH}:hypothetical"]),
    ("I cut myself shaving", CLIENT, []),
    ("I accidentally cut myself while cooking", CLIENT, []),
    ("I cut my hair last week", CLIENT, []),
    ("I cut back on coffee", CLIENT, []),
    ("I stopped cutting carbs", CLIENT, []),
    # --- abuse / neglect
    ("he hits me when he's drunk", CLIENT, [f"{AB}:current"]),
    ("my husband beats me", CLIENT, [f"{AB}:current"]),
    ("she hurts me", CLIENT, [f"{AB}:current"]),
    ("he choked me last week", CLIENT, [f"{AB}:current"]),
    ("he threatens to take the kids", CLIENT, [f"{AB}:current"]),
    ("my stepdad touches me", CLIENT, [f"{AB}:current"]),
    ("I'm being abused", CLIENT, [f"{AB}:current"]),
    ("she leaves the kids alone for days", CLIENT, [f"{AB}:current"]),
    ("there's no food for the kids", CLIENT, [f"{AB}:current"]),
    ("I hit my kid yesterday", CLIENT, [f"{AB}:current"]),
    ("he said he'd kill me if I left", CLIENT, [f"{AB}:current"]),
    ("my dad used to beat me", CLIENT, [f"{AB}:historical"]),
    ("when I was a kid my uncle molested me", CLIENT, [f"{AB}:historical"]),
    ("he never hits me", CLIENT, [f"{AB}:negated"]),
    ("I was abused as a child", CLIENT, [f"{AB}:historical"]),
    ("my friend's husband is abusive", CLIENT, [f"{AB}:other_person"]),
    ("it really hit me that she was gone", CLIENT, []),
    ("that hurts me so much", CLIENT, []),
    ("my therapist pushes me to do better", CLIENT, []),
    ("he beats me at chess every time", CLIENT, []),
    ("he's been to rehab for substance abuse", CLIENT, []),
    # --- substance danger
    ("I drove drunk last weekend", CLIENT, [f"{SU}:current"]),
    ("I drove home after drinking", CLIENT, [f"{SU}:current"]),
    ("i've been driving high", CLIENT, [f"{SU}:current"]),
    ("I overdosed last month", CLIENT, [f"{SU}:current"]),
    ("I OD'd on Saturday", CLIENT, [f"{SU}:current"]),
    ("I blacked out again", CLIENT, [f"{SU}:current"]),
    ("I've been mixing Xanax and vodka", CLIENT, [f"{SU}:current"]),
    ("I've been mixing pills and alcohol", CLIENT, [f"{SU}:current"]),
    ("I had a withdrawal seizure", CLIENT, [f"{SU}:current"]),
    ("I get the shakes in the morning", CLIENT, [f"{SU}:current"]),
    ("I use alone so nobody knows", CLIENT, [f"{SU}:current"]),
    ("we were sharing needles", CLIENT, [f"{SU}:current"]),
    ("I would never drink and drive", CLIENT, [f"{SU}:negated"]),
    ("my cousin overdosed", CLIENT, [f"{SU}:other_person"]),
    ("I overdosed in college", CLIENT, [f"{SU}:historical"]),
    ("I tried to overdose", CLIENT, [f"{SI}:current"]),
    ("I love protein shakes", CLIENT, []),
    ("I bought blackout curtains", CLIENT, []),
    # --- figurative
    ("this job is killing me", CLIENT, []),
    ("I could kill for a coffee", CLIENT, []),
    ("my feet are killing me", CLIENT, []),
    ("I'd die for a vacation", CLIENT, []),
    ("I'm dying to see it", CLIENT, []),
    ("she's drop-dead gorgeous", CLIENT, []),
    ("I was so embarrassed I wanted to die", CLIENT, []),
    ("I almost died laughing", CLIENT, []),
    ("I'd rather die than go back to that office", CLIENT, []),
    ("I'm going to kill him for eating my lunch", CLIENT, []),
    ("I'll shoot her a text", CLIENT, []),
    ("we killed it at the concert", CLIENT, []),
    ("I'm bored to death", CLIENT, []),
    ("I'm dead tired", CLIENT, []),
    ("I hurt her feelings", CLIENT, []),
    ("that movie was killing me", CLIENT, []),
    ("I was dying of embarrassment", CLIENT, []),
    ("I felt like I was dying during the panic attack", CLIENT, []),
    # --- multiple kinds
    (
        "I'm not suicidal but I do cut myself sometimes",
        CLIENT,
        [f"{SI}:negated", f"{SH}:current"],
    ),
    ("he beats me and I want to die", CLIENT, [f"{AB}:current", f"{SI}:current"]),
]

# Classes of error found on the dev half of the labelled set, in new wordings.
GAP_CASES = [
    # --- passive ideation as clients say it
    ("honestly I just can't see the point anymore", CLIENT, [f"{SI}:current"]),
    ("what's even the point anymore", CLIENT, [f"{SI}:current"]),
    ("some days I wish I could just vanish", CLIENT, [f"{SI}:current"]),
    ("I think if I wasn't around anymore, my dad would be fine", CLIENT, [f"{SI}:current"]),
    ("my parents would be happier, honestly, if I was gone", CLIENT, [f"{SI}:current"]),
    ("I can't picture myself being alive next year", CLIENT, [f"{SI}:current"]),
    ("I'm just done living, I think", CLIENT, [f"{SI}:current"]),
    ("I'd rather be dead than go through another winter like this", CLIENT, [f"{SI}:current"]),
    ("I wish I could disappear into a book for a week", CLIENT, []),
    ("I don't see the point of that meeting", CLIENT, []),
    # --- self-harm slang and methods
    ("I relapsed with the blade on Saturday", CLIENT, [f"{SH}:current"]),
    ("it calms me down, cutting. I did it after dinner", CLIENT, [f"{SH}:current"]),
    ("I've been picking at my arms until they bleed", CLIENT, [f"{SH}:current"]),
    ("I put out a cigarette on my wrist last night", CLIENT, [f"{SH}:current"]),
    ("I carved a word into my thigh", CLIENT, [f"{SH}:current"]),
    ("I got dizzy, fell over and hurt myself pretty badly", CLIENT, []),
    ("I'm cutting back on coffee", CLIENT, []),
    # --- homicidal ideation
    ("I keep picturing running my landlord over", CLIENT, [f"{HI}:current"]),
    ("I think about hurting all of them at my old school", CLIENT, [f"{HI}:current"]),
    ("I want to drive to his house with my brother's shotgun", CLIENT, [f"{HI}:current"]),
    ("I'm going to beat the hell out of that guy", CLIENT, [f"{HI}:current"]),
    ("if she lies to me again I swear I'll kill her", CLIENT, [f"{HI}:current"]),
    ("I'll kill him if he comes near my kids", CLIENT, [f"{HI}:current"]),
    (
        "if I ever caught myself thinking about hurting him I'd tell you",
        CLIENT,
        [f"{HI}:hypothetical"],
    ),
    ("my dad's drinking, it's gonna kill him one day", CLIENT, []),
    # --- abuse and neglect
    ("I leave my 4 year old home alone when I work nights", CLIENT, [f"{AB}:current"]),
    ("I left my son in the car while I was at the bar", CLIENT, [f"{AB}:current"]),
    ("the kids haven't eaten a real meal in days", CLIENT, [f"{AB}:current"]),
    ("when I get mad I grab them by the arm and shake them", CLIENT, [f"{AB}:current"]),
    ("I hit them and this morning I left marks", CLIENT, [f"{AB}:current"]),
    ("she locks them in the basement when she's drunk", CLIENT, [f"{AB}:current"]),
    ("my sister leaves her kids home alone, it worries me", CLIENT, [f"{AB}:other_person"]),
    ("the puppy bites me all the time", CLIENT, []),
    ("my husband held a gun to my head and made me do the dishes, ha", CLIENT, []),
    # --- substance danger
    ("I did a few lines before my shift yesterday", CLIENT, [f"{SU}:current"]),
    ("I'm detoxing on my own and I think it's withdrawal", CLIENT, [f"{SU}:current"]),
    ("I'm so dope sick right now", CLIENT, [f"{SU}:current"]),
    ("I drove my friends back from the game and I'd had seven beers", CLIENT, [f"{SU}:current"]),
    ("I had like six shots and then drove home", CLIENT, [f"{SU}:current"]),
    ("I take my mom's Xanax with wine to sleep", CLIENT, [f"{SU}:current"]),
    (
        "I popped a bunch of extra percs and my girlfriend couldn't wake me",
        CLIENT,
        [f"{SU}:current"],
    ),
    ("I get way too drunk and can't remember the end of the night", CLIENT, [f"{SU}:current"]),
    ("I was drunk and fell down the stairs at the party", CLIENT, [f"{SU}:current"]),
    ("the meth is going to kill me, I know it", CLIENT, [f"{SU}:current"]),
    ("I've never been so drunk I couldn't remember", CLIENT, [f"{SU}:negated"]),
    ("I used to do coke, but that was years ago", CLIENT, [f"{SU}:historical"]),
    ("I had nicotine withdrawal when I quit smoking", CLIENT, []),
    ("for my first DUI I stopped drinking for a year", CLIENT, []),
    ("I don't remember much from my childhood", CLIENT, []),
    # --- context: double negation, negation after the target, conditionals, echoes
    ("I would never, like, not want to live", CLIENT, [f"{SI}:negated"]),
    ("cutting myself isn't something I do", CLIENT, [f"{SH}:negated"]),
    ("if I ever relapsed, I'd be scared of overdosing", CLIENT, [f"{SU}:hypothetical"]),
    ("What, like suicidal?", CLIENT, [f"{SI}:question"]),
    ("that movie was so boring I wanted to die", CLIENT, []),
    ("I don't want to live like this anymore", CLIENT, [f"{SI}:current"]),
    ("honestly I've had enough of life", CLIENT, [f"{SI}:current"]),
    ("they'd all be better off if they just moved on without me", CLIENT, [f"{SI}:current"]),
    ("I've had enough of life in this town", CLIENT, []),
    ("I'd love to see him dead after what he did", CLIENT, [f"{HI}:current"]),
    ("I want to slit his throat", CLIENT, [f"{HI}:current"]),
    ("he pinned me to the couch when we were wrestling", CLIENT, []),
    (
        "the baby hasn't eaten since yesterday and I'm too wasted to cook",
        CLIENT,
        [f"{AB}:current", f"{SU}:current"],
    ),
    ("the baby hasn't eaten since yesterday, the doctor thinks it's a virus", CLIENT, []),
    ("my colleague overdosed last weekend", CLIENT, [f"{SU}:other_person"]),
    ("one of my students is being abused at home, I think", CLIENT, [f"{AB}:other_person"]),
    ("I snorted some coke before work", CLIENT, [f"{SU}:current"]),
    # --- a relapse after a spell of abstinence is current; a denied relapse is not
    ("I was six weeks clean from cutting, but I slipped last night", CLIENT, [f"{SH}:current"]),
    ("I went a month without hurting myself and then did it again", CLIENT, [f"{SH}:current"]),
    ("I stopped cutting and I never started again", CLIENT, [f"{SH}:negated"]),
    ("I've been clean from cutting for a year and won't start again", CLIENT, [f"{SH}:negated"]),
    ("I locked myself in the bathroom and cut", CLIENT, [f"{SH}:current"]),
    ("I scratch my legs till there's blood", CLIENT, [f"{SH}:current"]),
    ("I drank half a bottle of gin and then took my sleeping pills", CLIENT, [f"{SU}:current"]),
    ("I'm worried I'm going to OD, I'm using so much", CLIENT, [f"{SU}:current"]),
    ("I drank some water and took my pills", CLIENT, []),
    ("I jab my arm with a paperclip when it gets bad", CLIENT, [f"{SH}:current"]),
    ("lately I have violent urges toward my stepbrother", CLIENT, [f"{HI}:current"]),
    ("I picture getting my hands around her neck", CLIENT, [f"{HI}:current"]),
]


@pytest.mark.parametrize(("text", "role", "expected"), GAP_CASES)
def test_gap_cases(text: str, role: str | None, expected: list[str]) -> None:
    assert sorted(summary(detect_risk(text, role))) == sorted(expected)


@pytest.mark.parametrize(("text", "role", "expected"), STATUS_CASES)
def test_status(text: str, role: str | None, expected: list[str]) -> None:
    assert sorted(summary(detect_risk(text, role))) == sorted(expected)


def test_cases_cover_every_kind_and_status() -> None:
    seen = {e for _, _, exp in STATUS_CASES for e in exp}
    assert len(STATUS_CASES) >= 60
    for kind in KINDS:
        assert f"{kind}:current" in seen
        assert any(e.startswith(kind) and not e.endswith(":current") for e in seen)
    statuses = {e.split(":")[1] for e in seen}
    assert statuses == {
        "current",
        "negated",
        "hypothetical",
        "historical",
        "other_person",
        "question",
    }


# ASR output: lower case, no punctuation, contractions with or without apostrophes.
ASR_VARIANTS = [
    ("im thinking about killing myself", SI),
    ("i'm thinking about killing myself", SI),
    ("I am thinking about killing myself", SI),
    ("i dont want to be here anymore", SI),
    ("i do not want to be here anymore", SI),
    ("ive been cutting again", SH),
    ("i’ve been cutting again", SH),
    ("he hits me", AB),
    ("i drove drunk", SU),
    ("i want to kill him", HI),
]


@pytest.mark.parametrize(("text", "kind"), ASR_VARIANTS)
def test_asr_variants_are_current(text: str, kind: str) -> None:
    [finding] = detect_risk(text)
    assert (finding.kind, finding.status, finding.current) == (kind, "current", True)


ROLE_CASES = [
    ("I want to kill myself", "client", "current"),
    ("I want to kill myself", None, "current"),
    ("I want to kill myself", "unknown", "current"),
    ("I want to kill myself", "patient", "current"),
    ("I want to kill myself", "therapist", "question"),
    ("I want to kill myself", "Therapist", "question"),
    ("do you want to kill yourself", "clinician", "question"),
    ("do you want to kill yourself", None, "question"),
    ("do you think I want to kill myself", "client", "current"),
    ("client denies suicidal ideation", "therapist", "negated"),
    ("your brother attempted suicide", "therapist", "other_person"),
]


@pytest.mark.parametrize(("text", "role", "expected"), ROLE_CASES)
def test_role(text: str, role: str | None, expected: str) -> None:
    [finding] = detect_risk(text, role)
    assert finding.status == expected
    assert finding.current == (expected == "current")


@pytest.mark.parametrize(("text", "role", "expected"), STATUS_CASES)
def test_therapist_findings_are_never_current(
    text: str, role: str | None, expected: list[str]
) -> None:
    for finding in detect_risk(text, THERAPIST):
        assert not finding.current
        assert finding.severity == "low"


@pytest.mark.parametrize(("text", "role", "expected"), STATUS_CASES)
def test_cue_is_the_exact_substring(text: str, role: str | None, expected: list[str]) -> None:
    for finding in detect_risk(text, role):
        start, end = finding.span
        assert text[start:end] == finding.cue
        assert finding.current == (finding.status == "current")
        if not finding.current:
            assert finding.severity == "low"


CUE_CASES = [
    ("um, I've been, like, thinking I'd be better off dead", "better off dead"),
    ("So yeah. I cut myself again last night.", "cut myself"),
    ("he said he'd kill me if I left", "kill me"),
    ("I used to cut but not anymore", "cut"),
    ("denies SI/HI", "SI"),
    ("I have the pills saved up", "pills saved up"),
    ("I DROVE DRUNK last weekend", "DROVE DRUNK"),
]


@pytest.mark.parametrize(("text", "cue"), CUE_CASES)
def test_cue(text: str, cue: str) -> None:
    finding = detect_risk(text)[0]
    assert finding.cue == cue
    assert finding.span == (text.index(cue), text.index(cue) + len(cue))


SEVERITY_CASES = [
    # suicidal ideation: plan, intent, means, timeline, preparation or attempt -> high
    ("I have the pills saved up", SI, "high"),
    ("I'm going to kill myself this weekend", SI, "high"),
    ("I bought a gun and I want to end my life", SI, "high"),
    ("I have a plan to kill myself", SI, "high"),
    ("I wrote a suicide note", SI, "high"),
    ("I tried to kill myself last night", SI, "high"),
    ("I want to kill myself", SI, "moderate"),
    ("sometimes I wish I wouldn't wake up", SI, "moderate"),
    ("I don't have a plan but I want to die", SI, "moderate"),
    # homicidal ideation: intent, plan or means -> high
    ("I'm going to kill him", HI, "high"),
    ("I bought a gun to kill him", HI, "high"),
    ("I want to kill him", HI, "moderate"),
    # self-harm: medically serious -> high
    ("I cut so deep I needed stitches", SH, "high"),
    ("I cut myself again last night", SH, "moderate"),
    # abuse: strangulation, weapon, threat to kill, sexual, child, injury -> high
    ("he choked me", AB, "high"),
    ("he threatened to kill me", AB, "high"),
    ("my stepdad touches me", AB, "high"),
    ("I hit my kid yesterday", AB, "high"),
    ("he held a knife to my throat", AB, "high"),
    ("he hits me", AB, "moderate"),
    ("she leaves the kids alone for days", AB, "moderate"),
    # substance: overdose -> high
    ("I overdosed last week", SU, "high"),
    ("I drove drunk", SU, "moderate"),
    ("I blacked out again", SU, "moderate"),
    # not current -> low
    ("I'm not suicidal", SI, "low"),
    ("I tried to kill myself when I was sixteen", SI, "low"),
    ("my brother overdosed", SU, "low"),
]


@pytest.mark.parametrize(("text", "kind", "severity"), SEVERITY_CASES)
def test_severity(text: str, kind: str, severity: str) -> None:
    [finding] = [f for f in detect_risk(text) if f.kind == kind]
    assert finding.severity == severity


PLAN_CASES = [
    ("I have the pills saved up", ["means"]),
    ("I'm going to do it this weekend", ["intent", "timeline"]),
    ("I've been planning how I'd do it", ["plan"]),
    ("I bought a gun", ["means"]),
    ("I tried to kill myself", ["attempt"]),
    ("I gave away my things and wrote a goodbye letter", ["preparation"]),
    ("I don't have a plan", []),
    ("I have no plan or intent", []),
    ("I want to die", []),
]


@pytest.mark.parametrize(("text", "expected"), PLAN_CASES)
def test_plan_indicators(text: str, expected: list[str]) -> None:
    assert plan_indicators(text) == expected


SCREENING_CASES = [
    ("Have you had thoughts of harming yourself?", SH),
    ("have you had any thoughts of suicide", SI),
    ("Do you ever wish you were dead?", SI),
    ("Do you have access to a gun?", SI),
    ("Are you having thoughts of hurting anyone else?", HI),
    ("Do you feel safe at home?", AB),
    ("Does your partner ever hit you?", AB),
    ("How much do you drink in a week?", SU),
    ("Have you ever driven after drinking?", SU),
    ("I ask everyone this: any thoughts of ending your life", SI),
    ("tell me about any thoughts of suicide", SI),
    ("How was your week?", None),
    ("Your brother's suicide must have been hard.", None),
    ("What would you like to work on today?", None),
]


@pytest.mark.parametrize(("text", "expected"), SCREENING_CASES)
def test_screening_kind(text: str, expected: str | None) -> None:
    assert screening_kind(text) == expected


def test_one_finding_per_kind_keeps_the_current_one() -> None:
    findings = detect_risk("I used to cut myself but now I'm cutting myself again")
    assert summary(findings) == [f"{SH}:current"]
    findings = detect_risk("since my brother's suicide I've been thinking about killing myself")
    assert summary(findings) == [f"{SI}:current"]


def test_findings_are_in_text_order() -> None:
    findings = detect_risk("he beats me and I want to die and I drove drunk last night")
    assert [f.kind for f in findings] == [AB, SI, SU]
    assert [f.span for f in findings] == sorted(f.span for f in findings)


def test_empty_and_benign_text() -> None:
    assert detect_risk("") == []
    assert detect_risk("   ") == []
    assert detect_risk("we talked about my week and my sister's wedding") == []
    assert plan_indicators("") == []
    assert screening_kind("") is None


def test_no_sentence_text_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    text = "I have the pills saved up and I'm going to kill myself"
    with caplog.at_level(logging.DEBUG):
        detect_risk(text, "client")
        detect_risk(text, None)
        plan_indicators(text)
        screening_kind(text)
    assert all("pills" not in r.getMessage() for r in caplog.records)


# Broader coverage: phrasings and contexts beyond the labelled set (none of its rows).
GENERALISATION_CASES = [
    # passive ideation, C-SSRS wordings, preparation
    ("I can't go on like this anymore, I really can't.", CLIENT, [f"{SI}:current"]),
    ("There's no point living if it always feels like this.", CLIENT, [f"{SI}:current"]),
    ("I've been wishing I could just disappear forever.", CLIENT, [f"{SI}:current"]),
    ("I know exactly how I'd do it.", CLIENT, [f"{SI}:current"]),
    ("I wrote a note last night.", CLIENT, [f"{SI}:current"]),
    ("Last night I sat in the garage with the car running.", CLIENT, [f"{SI}:current"]),
    ("I started giving away my stuff this week.", CLIENT, [f"{SI}:current"]),
    ("I keep looking at the pills, thinking about taking them all.", CLIENT, [f"{SI}:current"]),
    ("I'm kind of done with life at this point.", CLIENT, [f"{SI}:current"]),
    ("My kids are the only reason I'm still here.", CLIENT, [f"{SI}:current"]),
    ("what if I just wasn't here anymore", CLIENT, [f"{SI}:current"]),
    ("No, I haven't had any thoughts of not wanting to be alive.", CLIENT, [f"{SI}:negated"]),
    # self-harm slang and behaviours
    ("I relapsed on sh this week.", CLIENT, [f"{SH}:current"]),
    ("I've been pulling my hair out on purpose to feel something.", CLIENT, [f"{SH}:current"]),
    ("I punched the wall on purpose till my knuckles split.", CLIENT, [f"{SH}:current"]),
    ("I dug my nails into my arm till it bled.", CLIENT, [f"{SH}:current"]),
    ("I cut deeper than usual on Friday.", CLIENT, [f"{SH}:current"]),
    ("I got my hair cut yesterday.", CLIENT, []),
    # homicidal ideation: revenge, victims named by a possessive, jokes
    ("I bought a knife because I'm gonna get him back for what he did.", CLIENT, [f"{HI}:current"]),
    ("I want to put my fist through his face.", CLIENT, [f"{HI}:current"]),
    ("I've got this urge to hurt my stepson when he mouths off.", CLIENT, [f"{HI}:current"]),
    (
        "My cousin says he's going to kill my brother over the money.",
        CLIENT,
        [f"{HI}:other_person"],
    ),
    ("I swear I'm gonna kill my brother, he ate my leftovers [laughs]", CLIENT, []),
    ("I'm gonna hurt her like she hurt me.", CLIENT, [f"{HI}:current"]),
    # abuse and neglect: the speaker as the one who harms, dependents without care, dates
    ("I've been hitting my partner when I drink.", CLIENT, [f"{AB}:current"]),
    ("I haven't been giving grandma her meds.", CLIENT, [f"{AB}:current"]),
    ("The kids have been alone at home all day while I'm at work.", CLIENT, [f"{AB}:current"]),
    ("He forced me to do stuff I didn't want.", CLIENT, [f"{AB}:current"]),
    ("My first husband hit me, but that was over twenty years ago.", CLIENT, [f"{AB}:historical"]),
    ("The song just hits me every time.", CLIENT, []),
    # "rape" as a topic, or a word the recognizer mis-heard, is no finding; the act is
    ("I'm rape, I am a pen but I don't smoke it more", CLIENT, []),
    ("We talked about rape culture in class.", CLIENT, []),
    ("He tried to rape me on Saturday.", CLIENT, [f"{AB}:current"]),
    ("My stepdad rapes my sister.", CLIENT, [f"{AB}:current"]),
    # substance danger
    ("I drank too much and I shouldn't have driven that night.", CLIENT, [f"{SU}:current"]),
    ("Last weekend I drove back from the bar pretty hammered.", CLIENT, [f"{SU}:current"]),
    ("I'm still drinking even though I'm pregnant.", CLIENT, [f"{SU}:current"]),
    (
        "I haven't had a drink since yesterday and I'm scared of seizures.",
        CLIENT,
        [f"{SU}:current"],
    ),
    ("I woke up on the bathroom floor after drinking.", CLIENT, [f"{SU}:current"]),
    ("I drove my drunk friend home.", CLIENT, []),
    ("The power blacked out during the storm.", CLIENT, []),
    ("I know that drunk driving is an issue.", CLIENT, []),
    ("I had a shot of espresso before work.", CLIENT, []),
]


@pytest.mark.parametrize(("text", "role", "expected"), GENERALISATION_CASES)
def test_generalisation(text: str, role: str | None, expected: list[str]) -> None:
    assert summary(detect_risk(text, role)) == expected


def test_a_past_dated_utterance_is_historical_unless_something_is_current() -> None:
    dated = "My ex threatened to kill me if I left, but that was eight years ago."
    assert [f.status for f in detect_risk(dated)] == ["historical"]
    again = "My ex threatened to kill me years ago, and he did it again last week."
    assert [f.status for f in detect_risk(again)] == ["current"]
    now = "Years ago I tried to overdose. I want to die now."
    assert [f.status for f in detect_risk(now)] == ["current"]
    used_to = "I used to drink a lot and I drove drunk on Friday."
    assert [f.status for f in detect_risk(used_to)] == ["current"]
