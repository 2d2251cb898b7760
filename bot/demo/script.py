"""What the demo's participants write, in Dutch and in English.

A library challenge as a real masterclass group would meet it: young people who come to
the library after school but find no place of their own. Each step's notes are the kind a
mixed group of residents, staff and a partner writes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoScript:
    """One language's session: the topic, who takes part, and what they write per step."""

    guild: str
    channel: str
    topic: str
    facilitator: str
    people: tuple[str, ...]
    empathise: tuple[tuple[int, str], ...]
    # A reply to the first empathise note: it becomes a comment, not a note.
    comment: tuple[int, str]
    define: tuple[tuple[int, str], ...]
    ideate: tuple[tuple[int, str], ...]
    prototype: tuple[tuple[int, str], ...]
    # Which questions (indexes into define) and ideas (into ideate) each person votes for.
    question_votes: tuple[tuple[int, tuple[int, ...]], ...]
    idea_votes: tuple[tuple[int, tuple[int, ...]], ...]


DUTCH = DemoScript(
    guild="Bibliotheek Noord",
    channel="co-creatie",
    topic="Hoe wordt de bibliotheek een plek waar jongeren graag komen?",
    facilitator="Marieke",
    people=("Anouk", "Sem", "Fatima", "Joris", "Lotte"),
    empathise=(
        (0, "Na schooltijd zitten jongeren in de hal, omdat er binnen geen plek voor ze is"),
        (1, "Een meisje zei: 'hier is alles voor kleine kinderen of voor ouderen'"),
        (2, "In de examenweken zijn alle studieplekken om negen uur al bezet"),
        (3, "Jongeren voelen zich bekeken door de balie als ze met z'n vieren praten"),
        (4, "Veel jongeren weten niet dat je hier gratis kunt printen voor school"),
        (2, "Sommige scholieren leren op de grond omdat de tafels vol zitten"),
        (0, "Ze willen samen kunnen zijn zonder dat er meteen iets moet"),
    ),
    comment=(1, "Dat hoorde ik vorige week ook van twee jongens bij de ingang"),
    define=(
        (0, "Hoe kunnen we jongeren een eigen plek in de bieb geven?"),
        (2, "Hoe kunnen we in de examentijd meer rustige studieplekken bieden?"),
        (
            3,
            "Een scholier heeft behoefte aan een plek om samen te leren,"
            " omdat het thuis te druk is",
        ),
        (4, "Hoe kunnen we laten zien wat de bieb jongeren al te bieden heeft?"),
    ),
    ideate=(
        (1, "Een jongerenhoek met banken, muziek en op vrijdag gamen"),
        (0, "Jongeren zelf de inrichting van die hoek laten ontwerpen"),
        (2, "In examentijd de vergaderzalen openstellen als stilteplek"),
        (4, "Een 'bieb-buddy': een jongere die nieuwe jongeren wegwijs maakt"),
        (3, "Eén avond per week open alleen voor tieners"),
    ),
    prototype=(
        (
            0,
            "Volgende week twee banken en een speaker in de hoek bij de strips,"
            " twee weken proberen",
        ),
        (
            1,
            "Vijf jongeren uit de hal vragen wat ze ervan vinden,"
            " met een kaartje: top / tip / vraag",
        ),
        (2, "We willen leren of ze blijven zitten en of het andere bezoekers stoort"),
    ),
    question_votes=((0, (0, 1)), (1, (0,)), (2, (1, 0)), (3, (0, 3)), (4, (0,))),
    idea_votes=((0, (0, 1)), (1, (0,)), (2, (2, 0)), (3, (1, 3)), (4, (0, 1))),
)

ENGLISH = DemoScript(
    guild="North Library",
    channel="co-creation",
    topic="How can the library become a place young people love to come to?",
    facilitator="Marieke",
    people=("Anna", "Sam", "Fatima", "Joe", "Lotte"),
    empathise=(
        (0, "After school, teenagers hang around the entrance because there is no room for them"),
        (1, "A girl said: 'everything here is for little kids or for old people'"),
        (2, "In exam weeks all study desks are taken by nine in the morning"),
        (3, "Young people feel watched by the front desk when they talk in a group"),
        (4, "Many teenagers don't know they can print for school here for free"),
        (2, "Some students study on the floor because the tables are full"),
        (0, "They want to be together without having to do something straight away"),
    ),
    comment=(1, "I heard the same from two boys at the door last week"),
    define=(
        (0, "How might we give young people a place of their own in the library?"),
        (2, "How might we offer more quiet study space during exams?"),
        (3, "A student needs a place to study together, because it is too busy at home"),
        (4, "How might we show what the library already offers teenagers?"),
    ),
    ideate=(
        (1, "A teen corner with sofas, music and gaming on Fridays"),
        (0, "Let young people design that corner themselves"),
        (2, "Open the meeting rooms as quiet study rooms during exams"),
        (4, "A 'library buddy': a teenager who shows newcomers around"),
        (3, "One evening a week open for teens only"),
    ),
    prototype=(
        (0, "Next week: two sofas and a speaker by the comics, try it for two weeks"),
        (1, "Ask five teenagers at the entrance what they think, with a card: + / Δ / ?"),
        (2, "We want to learn whether they stay, and whether other visitors mind"),
    ),
    question_votes=((0, (0, 1)), (1, (0,)), (2, (1, 0)), (3, (0, 3)), (4, (0,))),
    idea_votes=((0, (0, 1)), (1, (0,)), (2, (2, 0)), (3, (1, 3)), (4, (0, 1))),
)

SCRIPTS = {"nl": DUTCH, "en": ENGLISH}
