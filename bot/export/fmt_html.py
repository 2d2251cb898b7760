"""HTML: one self-contained page that reads well on screen and prints well on A4.

No scripts, no external style sheets, fonts or images: the page works offline and in an
archive for years. Everything people wrote is HTML-escaped; the only links are anchors
within the page and attachment links people posted themselves (http and https only).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.export.model import Board, BoardNote, BoardStep, BoardTheme
from bot.export.text import prompt_html, utc_iso
from bot.export.writer import BoardWriter

# Print: A4 with margins, every step on a new page, notes never cut in two. Fonts are
# the reader's own (no downloads): a humanist sans for text, a serif for headings.
STYLE = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--paper:#fff;--accent:#2f6f4f;
--note:#fff8c5;--note-line:#eadb8a;--question:#e8f1fb;--question-line:#bfd5ee;
--view:#f3ebfa;--view-line:#d9c6ec}
*{box-sizing:border-box}
html{font-size:16px}
body{margin:0 auto;max-width:54rem;padding:2rem 1.25rem 4rem;background:#f3f4f7;color:var(--ink);
font-family:"Source Sans 3","Segoe UI","Noto Sans","Helvetica Neue",Arial,"DejaVu Sans",sans-serif;
line-height:1.5;-webkit-text-size-adjust:100%}
h1,h2,h3,h4{font-family:Georgia,"Noto Serif","DejaVu Serif","Times New Roman",serif;
line-height:1.25;margin:0}
h1{font-size:2rem;margin:.25rem 0 .75rem}
h2{font-size:1.5rem}
h3{font-size:1.15rem;margin:1.5rem 0 .6rem;padding-bottom:.25rem;
border-bottom:1px solid var(--line)}
h4{font-size:1rem;margin:1.25rem 0 .4rem}
p{margin:.4rem 0}
.cover,.step{background:var(--paper);border-radius:8px;padding:1.5rem 1.75rem;
box-shadow:0 1px 2px rgba(0,0,0,.06)}
.cover{border-top:6px solid var(--accent)}
.kicker,.step-kind{margin:0;color:var(--muted);font-size:.8rem;letter-spacing:.06em;
text-transform:uppercase}
.part{font-weight:600;color:var(--accent)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1.25rem;margin:1rem 0 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
.chosen-question{margin:1.25rem 0 0;padding:.75rem 1rem;background:#eef6f1;
border-left:4px solid var(--accent)}
.chosen-question h2{font-size:1rem;font-family:inherit;color:var(--accent)}
.step{margin-top:2rem}
.prompt{margin:1rem 0;padding:.75rem 1rem;background:#f8f9fb;border-left:4px solid var(--line);
white-space:pre-wrap;color:#2b3140}
.keywords,.empty,.totals,.round-facts,.privacy{color:var(--muted);font-size:.9rem}
.notes{list-style:none;margin:0;padding:0;display:grid;gap:.6rem}
.note{background:var(--note);border:1px solid var(--note-line);border-radius:4px;
padding:.6rem .85rem}
.note.kind-question{background:var(--question);border-color:var(--question-line)}
.note.kind-point_of_view{background:var(--view);border-color:var(--view-line)}
.note.chosen{box-shadow:inset 4px 0 0 var(--accent)}
.text{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:1.02rem}
.meta{margin:.35rem 0 0;font-size:.85rem;color:var(--muted)}
.meta .id{font-variant-numeric:tabular-nums}
.meta .author{font-weight:600;color:var(--ink)}
.badge{display:inline-block;padding:0 .4rem;border-radius:999px;background:rgba(0,0,0,.06)}
.extra{margin:.35rem 0 0;padding:0;list-style:none;font-size:.9rem}
.comments{margin:.45rem 0 0;padding:0 0 0 .8rem;list-style:none;
border-left:2px solid var(--note-line);font-size:.92rem}
.comments li{margin:.2rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.results ol{margin:.25rem 0;padding-left:0;list-style:none}
.results li{margin:.2rem 0}
.place{display:inline-block;min-width:2rem;font-weight:700}
a{color:var(--accent)}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem;text-align:center}
@page{size:A4;margin:16mm 15mm 18mm}
@media print{
html{font-size:10.5pt}
body{background:none;max-width:none;padding:0}
.cover,.step{box-shadow:none;border-radius:0;padding:0;background:none}
.cover{border-top:none}
.step{break-before:page;margin-top:0}
h2,h3,h4{break-after:avoid}
.note,.results li,.comments li,.facts{break-inside:avoid}
.note,.chosen-question,.prompt{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit;text-decoration:none}
footer{break-before:avoid}
}
"""


def _text(value: str) -> str:
    return escape(value, quote=True)


def _link(url: str) -> str:
    """A posted attachment: a link only for http(s) (never javascript: and the like)."""
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{_text(url)}" rel="noopener noreferrer">{_text(url)}</a>'
    return _text(url)


class HtmlWriter(BoardWriter):
    """The page: a cover with the facts, then a section per step."""

    def _put(self, html: str) -> None:
        self.out.write(html + "\n")

    def _time(self, moment: datetime) -> str:
        return f'<time datetime="{utc_iso(moment)}">{_text(self.local(moment))}</time>'

    def on_board(self, board: Board) -> None:
        """Document head, style and the cover."""
        w = self.words
        title = w("export.title", topic=board.topic)
        self._put("<!DOCTYPE html>")
        self._put(f'<html lang="{_text(board.locale)}">')
        self._put('<head>\n<meta charset="utf-8">')
        self._put('<meta name="viewport" content="width=device-width, initial-scale=1">')
        self._put(f"<title>{_text(title)}</title>")
        self._put(f"<style>{STYLE}</style>\n</head>\n<body>")
        self._put('<header class="cover">')
        self._put(f'<p class="kicker">{_text(w("export.kicker"))}</p>')
        self._put(f"<h1>{_text(board.topic)}</h1>")
        if board.part is not None:
            part = w("export.part", number=board.part.number, total=board.part.total)
            self._put(f'<p class="part">{_text(part)}</p>')
        facts = [
            (w("export.meta.session"), _text(str(board.session_id))),
            (w("export.meta.server"), _text(str(board.guild_id))),
            (w("export.meta.template"), _text(board.template)),
            (w("export.meta.status"), _text(self.status_word(board.status))),
            (w("export.meta.started"), self._time(board.created_at)),
        ]
        if board.ended_at is not None:
            facts.append((w("export.meta.ended"), self._time(board.ended_at)))
        facts += [
            (w("export.meta.exported"), self._time(board.exported_at)),
            (w("export.meta.timezone"), _text(board.timezone)),
            (w("export.meta.names"), _text(self.names_fact(board))),
        ]
        self._put('<dl class="facts">')
        for label, value in facts:
            self._put(f"<dt>{_text(label)}</dt><dd>{value}</dd>")
        self._put("</dl>")
        if board.chosen_question:
            self._put('<section class="chosen-question">')
            self._put(f"<h2>{_text(w('export.chosen'))}</h2>")
            self._put(f'<p class="text">{_text(board.chosen_question)}</p>')
            self._put("</section>")
        self._put("</header>\n<main>")
        self._chosen = set(board.chosen_notes)

    def on_step(self, step: BoardStep) -> None:
        """The step's section, heading and prompt."""
        w = self.words
        number = step.index + 1
        self._put(f'<section class="step" id="step-{number}" aria-labelledby="step-{number}-h">')
        planned = w("export.step.planned", duration=w.duration(step.duration_seconds))
        self._put(f'<p class="step-kind">{_text(step.kind)} · {_text(planned)}</p>')
        heading = w("export.step.heading", number=number, name=step.name)
        self._put(f'<h2 id="step-{number}-h">{_text(heading)}</h2>')
        if step.prompt:
            prompt = prompt_html(step.prompt, self.board.topic)
            self._put(f'<blockquote class="prompt">{prompt}</blockquote>')
        for line in self.step_privacy():
            self._put(f'<p class="privacy">{_text(line)}</p>')

    def on_group(self, theme: BoardTheme | None) -> None:
        """A theme's section and the start of its notes."""
        w = self.words
        self._put('<section class="theme">')
        if theme is None:
            self._put(f"<h3>{_text(w('export.theme.other'))}</h3>")
        else:
            self._put(f"<h3>{_text(w('export.theme.heading', name=theme.name))}</h3>")
            if theme.keywords:
                keywords = w("export.theme.keywords", keywords=", ".join(theme.keywords))
                self._put(f'<p class="keywords">{_text(keywords)}</p>')
        self._put('<ul class="notes">')
        self._group_notes = 0

    def on_note(self, note: BoardNote) -> None:
        """A sticky note with its details and comments."""
        w = self.words
        self._group_notes += 1
        classes = f"note kind-{_text(note.kind)}" + (" chosen" if note.id in self._chosen else "")
        self._put(f'<li class="{classes}" id="note-{note.id}">')
        self._put(f'<p class="text">{_text(note.text)}</p>')
        meta = [f'<span class="id">#{note.id}</span>']
        if note.author is not None:
            meta.append(f'<span class="author">{_text(note.author)}</span>')
        if note.created_at is not None:
            meta.append(self._time(note.created_at))
        if note.kind != "note":
            meta.append(f'<span class="badge">{_text(self.kind_word(note.kind))}</span>')
        if note.edited_at is not None:
            meta.append(_text(w("export.note.edited", time=self.local(note.edited_at))))
        for tally in note.votes:
            votes = w(
                "export.note.votes",
                votes=w.plural("common.count.vote", tally.votes),
                people=w.plural("common.count.person", tally.voters),
                round=self.round_number(tally.round_id),
            )
            meta.append(f'<span class="badge">{_text(votes)}</span>')
        if note.id in self._chosen:
            meta.append(f'<span class="badge">{_text(w("export.note.chosen"))}</span>')
        self._put(f'<p class="meta">{" · ".join(meta)}</p>')
        extra = []
        if note.takers:
            extra.append(_text(w("export.note.takers", names=", ".join(note.takers))))
        for url in note.attachments:
            # The sentence is ours; only the link inside it is the user's.
            label = _text(w("export.note.attachment", link="\x00")).replace("\x00", _link(url))
            extra.append(label)
        if extra:
            self._put('<ul class="extra">' + "".join(f"<li>{x}</li>" for x in extra) + "</ul>")
        if note.comments:
            self._put('<ul class="comments">')
            for comment in note.comments:
                if comment.author is None or comment.created_at is None:
                    who = _text(w("export.comment.nameless"))
                else:
                    who = f'<span class="author">{_text(comment.author)}</span> ' + self._time(
                        comment.created_at
                    )
                self._put(f"<li>💬 {who}: {_text(comment.text)}</li>")
            self._put("</ul>")
        self._put("</li>")

    def on_group_closed(self) -> None:
        """Close the theme (saying so when it has no notes)."""
        self._put("</ul>")
        if self._group_notes == 0:
            self._put(f'<p class="empty">{_text(self.words("export.theme.empty"))}</p>')
        self._put("</section>")

    def on_step_closed(self) -> None:
        """Vote results with links to the notes, the step's totals, and the end of it."""
        w = self.words
        if self.step_notes == 0:
            if not self.step.withheld:  # a step still being written said so at its start
                self._put(f'<p class="empty">{_text(w("export.step.empty"))}</p>')
            self._put("</section>")
            return
        for vote_round in self.step.rounds:
            self._put('<section class="results">')
            self._put(f"<h4>{_text(w('export.round.heading', number=vote_round.number))}</h4>")
            self._put(f'<p class="round-facts">{_text(self.round_facts(vote_round))}</p>')
            if not vote_round.results:
                self._put(f'<p class="empty">{_text(w("export.round.no_votes"))}</p>')
            else:
                self._put("<ol>")
                for result in vote_round.results:
                    text = self.voted_texts.get(result.note_id, f"#{result.note_id}")
                    line = w(
                        "export.round.result",
                        text="\x00",
                        votes=w.plural("common.count.vote", result.votes),
                        people=w.plural("common.count.person", result.voters),
                    )
                    link = f'<a href="#note-{result.note_id}">{_text(" ".join(text.split()))}</a>'
                    self._put(
                        f'<li><span class="place">{result.place}.</span> '
                        + _text(line).replace("\x00", link)
                        + "</li>"
                    )
                self._put("</ol>")
            self._put("</section>")
        totals = w(
            "export.step.totals",
            notes=w.plural("common.count.note", self.step_notes),
            people=w.plural("common.count.person", self.step_people),
            comments=w.plural("common.count.comment", self.step_comments),
        )
        self._put(f'<p class="totals">{_text(totals)}</p>')
        self._put("</section>")

    def on_board_closed(self) -> None:
        """Footer and the end of the page."""
        self._put(f"</main>\n<footer>{_text(self.words('export.footer'))}</footer>")
        self._put("</body>\n</html>")
