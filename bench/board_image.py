"""Time and memory of the board picture: ``python -m bench.board_image``.

Renders boards of 1,000 and 10,000 notes with the default pagination (60 notes a page,
at most 10 pages) and prints a table. ``--sample PATH`` also writes a realistic board of
25 Dutch notes in 4 themes to PATH (e.g. /tmp/board_sample.png) to look at.

Peak memory is measured twice: ``tracemalloc`` sees Python objects only (Pillow's pixel
buffers are allocated in C), so the process's peak resident size is shown as well.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from bot.render.board_image import (
    BoardGroup,
    BoardNote,
    BoardPicture,
    render_board,
)

WORDS = (
    "bieb",
    "lezen",
    "boeken",
    "ontmoeten",
    "koffie",
    "jongeren",
    "ouderen",
    "wifi",
    "stilte",
    "werkplek",
    "kinderen",
    "taal",
    "hulp",
    "digitaal",
    "cursus",
    "activiteit",
    "ruimte",
    "licht",
    "planten",
    "avond",
    "weekend",
    "ideeën",
    "café",
    "geïnteresseerd",
    "toegankelijk",
    "voorlezen",
    "makerspace",
)
AUTHORS = ("Anouk", "Sem", "Fatima", "Joris", "Lotte", None)


def synthetic(count: int, groups: int = 8) -> BoardPicture:
    notes = [
        BoardNote(
            " ".join(WORDS[(i * 7 + k * 5) % len(WORDS)] for k in range(3 + i % 13)).capitalize(),
            AUTHORS[i % len(AUTHORS)],
            (i * 3) % 5,
        )
        for i in range(count)
    ]
    size = -(-count // groups)
    return BoardPicture(
        "Bibliotheek van de toekomst",
        "Ideeën · 24 november 2026",
        tuple(
            BoardGroup(f"Thema {g + 1}", tuple(notes[g * size : (g + 1) * size]))
            for g in range(groups)
        ),
        empty_text="Nog geen notities",
        more_text="+{n} notities niet getoond",
    )


def sample() -> BoardPicture:
    """A realistic board: 25 Dutch notes in 4 themes."""

    def n(text: str, author: str | None, votes: int = 0) -> BoardNote:
        return BoardNote(text, author, votes)

    return BoardPicture(
        "Hoe maken we de bibliotheek een fijne plek voor iedereen?",
        "Inleven · 24 november 2026",
        (
            BoardGroup(
                "toegankelijkheid · rolstoel",
                (
                    n("De drempel bij de hoofdingang is te hoog voor rolstoelen", "Anouk", 3),
                    n("Liften zijn lastig te vinden – bordjes ontbreken", "Sem"),
                    n(
                        "Boekenkasten zijn te hoog; de bovenste planken zijn onbereikbaar",
                        "Fatima",
                        5,
                    ),
                    n("Meer zitplekken bij de ingang", "Joris"),
                    n("Een invalidentoilet op élke verdieping", "Anouk", 1),
                    n("Rustruimte voor mensen met prikkelgevoeligheid", "Lotte", 2),
                    n("**Brede** paden tussen de kasten", "Daan"),
                ),
            ),
            BoardGroup(
                "ontmoeten & koffie",
                (
                    n("Koffiehoek bij de kranten — gezellig en laagdrempelig", "Bram", 7),
                    n("Taalcafé voor nieuwkomers op zaterdag ☕", "Yusuf", 4),
                    n("Ideeën-muur waar bezoekers zelf iets kunnen ophangen", "Lotte"),
                    n("Samen lezen met ouderen en kinderen (voorleesmiddag)", "Emma", 2),
                    n("Een café met echte barista's en taart", "Sem"),
                    n("Spelletjesavond in de bieb 🎲", "Noor", 1),
                ),
            ),
            BoardGroup(
                "digitale vaardigheden",
                (
                    n("Hulp bij DigiD en belastingaangifte", "Fatima", 6),
                    n("Cursus 'veilig online' voor 65-plussers", "Joris"),
                    n("Laptops lenen voor thuis", "Daan", 3),
                    n(
                        "Spreekuur met vrijwilligers die geduldig uitleggen hoe je een e-mail "
                        "stuurt, foto's deelt en videobelt met de kleinkinderen",
                        "Emma",
                    ),
                    n("3D-printer en naaimachine in een makerspace", "Bram", 2),
                    n("Wifi werkt slecht op de eerste verdieping, zegt <@1234>", "Noor"),
                ),
            ),
            BoardGroup(
                "openingstijden",
                (
                    n("Ook 's avonds open tot 21:00", "Yusuf", 8),
                    n("Zondagmiddag open voor gezinnen", "Anouk", 2),
                    n("Zelfservice-uren met pasje", "Sem"),
                    n("Geïnteresseerd in een 24/7 afhaalkluis", "Lotte", 1),
                    n("Op feestdagen gesloten is jammer", "Daan"),
                    n("Reëel blijven: eerst de basis op orde", "Joris"),
                ),
            ),
        ),
        empty_text="Nog geen notities",
        more_text="+{n} notities niet getoond",
    )


def measure(count: int) -> tuple[float, float, list[int], list[int]]:
    picture = synthetic(count)
    tracemalloc.start()
    started = time.perf_counter()
    pages = render_board(picture)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, [len(p.png) for p in pages], [p.note_count for p in pages]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, help="write the sample board's first page here")
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10_000])
    args = parser.parse_args(argv)
    if args.sample:
        page = render_board(sample())[0]
        args.sample.write_bytes(page.png)
        print(f"sample: {args.sample} {page.width}x{page.height}, {len(page.png) / 1024:.0f} KiB")
    render_board(synthetic(10))  # warm up fonts and caches
    header = (
        f"{'notes':>7} {'pages':>5} {'drawn':>6} {'seconds':>8} {'s/page':>7} "
        f"{'py peak MiB':>11} {'KiB/page min-max':>17}"
    )
    print(header)
    print("-" * len(header))
    for count in args.counts:
        elapsed, peak, sizes, drawn = measure(count)
        kib = f"{min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f}"
        print(
            f"{count:>7} {len(sizes):>5} {sum(drawn):>6} {elapsed:>8.2f} "
            f"{elapsed / len(sizes):>7.2f} {peak:>11.1f} {kib:>17}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    print(f"process peak RSS: {rss * scale / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
