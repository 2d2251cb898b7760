"""Markdown: readable as plain text, and tidy when a Markdown viewer shows it.

Everything people wrote is escaped (:func:`~bot.export.text.escape_markdown`), so a note
can never become a heading, a link or HTML.
"""

from __future__ import annotations

from datetime import datetime

from bot.export.model import Board, BoardNote, BoardStep, BoardTheme
from bot.export.text import escape_markdown, prompt_markdown
from bot.export.writer import BoardWriter


def _indented(text: str, prefix: str) -> str:
    """Continuation lines of a list item stay inside it."""
    return text.replace("\n", "\n" + prefix)


class MarkdownWriter(BoardWriter):
    """Header, then per step: the prompt, the notes theme by theme, the vote results."""

    def _line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def _time(self, moment: datetime) -> str:
        return self.local(moment)

    def on_board(self, board: Board) -> None:
        """Title and facts."""
        w = self.words
        self._line("# " + w("export.title", topic=escape_markdown(board.topic)))
        self._line()
        if board.part is not None:
            self._line(
                "*" + w("export.part", number=board.part.number, total=board.part.total) + "*"
            )
            self._line()
        facts = [
            (w("export.meta.session"), str(board.session_id)),
            (w("export.meta.server"), str(board.guild_id)),
            (w("export.meta.template"), escape_markdown(board.template)),
            (w("export.meta.status"), self.status_word(board.status)),
            (w("export.meta.started"), self._time(board.created_at)),
        ]
        if board.ended_at is not None:
            facts.append((w("export.meta.ended"), self._time(board.ended_at)))
        facts += [
            (w("export.meta.exported"), self._time(board.exported_at)),
            (w("export.meta.timezone"), board.timezone),
            (w("export.meta.names"), self.names_fact(board)),
        ]
        for label, value in facts:
            self._line(f"- **{label}:** {value}")
        if board.chosen_question:
            self._line()
            chosen = _indented(escape_markdown(board.chosen_question), "> ")
            self._line(f"> **{w('export.chosen')}:** {chosen}")
        self._chosen = set(board.chosen_notes)

    def on_step(self, step: BoardStep) -> None:
        """Step heading and its prompt as a quote."""
        w = self.words
        self._line()
        self._line("---")
        self._line()
        self._line("## " + w("export.step.heading", number=step.index + 1, name=step.name))
        self._line()
        planned = w("export.step.planned", duration=w.duration(step.duration_seconds))
        self._line(f"*{step.kind} · {planned}*")
        if step.prompt:
            self._line()
            for line in prompt_markdown(step.prompt, self.board.topic).splitlines():
                self._line(("> " + line).rstrip())
        for line in self.step_privacy():
            self._line()
            self._line(f"*{line}*")

    def on_group(self, theme: BoardTheme | None) -> None:
        """A theme heading (or the heading of the notes in no theme)."""
        w = self.words
        self._line()
        if theme is None:
            self._line("### " + w("export.theme.other"))
        else:
            self._line("### " + w("export.theme.heading", name=escape_markdown(theme.name)))
            if theme.keywords:
                keywords = escape_markdown(", ".join(theme.keywords))
                self._line()
                self._line("*" + w("export.theme.keywords", keywords=keywords) + "*")
        self._line()
        self._group_notes = 0

    def on_note(self, note: BoardNote) -> None:
        """A list item: the text, then who and when, votes and takers, then comments."""
        w = self.words
        self._group_notes += 1
        text = _indented(escape_markdown(note.text), "  ")
        self._line(f"- **#{note.id}** {text}")
        details = []
        if note.author is not None:
            details.append(escape_markdown(note.author))
        if note.created_at is not None:
            details.append(self._time(note.created_at))
        if note.kind != "note":
            details.append(self.kind_word(note.kind))
        if note.edited_at is not None:
            details.append(w("export.note.edited", time=self._time(note.edited_at)))
        for tally in note.votes:
            details.append(
                w(
                    "export.note.votes",
                    votes=w.plural("common.count.vote", tally.votes),
                    people=w.plural("common.count.person", tally.voters),
                    round=self.round_number(tally.round_id),
                )
            )
        if note.id in self._chosen:
            details.append(w("export.note.chosen"))
        if details:
            self._line("  *" + " · ".join(details) + "*")
        if note.takers:
            names = ", ".join(escape_markdown(name) for name in note.takers)
            self._line("  - " + w("export.note.takers", names=names))
        for link in note.attachments:
            self._line("  - " + w("export.note.attachment", link=escape_markdown(link)))
        for comment in note.comments:
            said = _indented(escape_markdown(comment.text), "    ")
            if comment.author is None or comment.created_at is None:
                who = w("export.comment.nameless")
            else:
                who = w(
                    "export.comment.by",
                    author=escape_markdown(comment.author),
                    time=self._time(comment.created_at),
                )
            self._line(f"  - 💬 *{who}:* {said}")

    def on_group_closed(self) -> None:
        """Say so when a theme has no notes."""
        if self._group_notes == 0:
            self._line("*" + self.words("export.theme.empty") + "*")

    def on_step_closed(self) -> None:
        """Vote results with the winning texts, then the step's totals."""
        w = self.words
        step = self.step
        if self.step_notes == 0:
            if not step.withheld:  # a step still being written said so at its start
                self._line()
                self._line("*" + w("export.step.empty") + "*")
            return
        for vote_round in step.rounds:
            self._line()
            self._line("#### " + w("export.round.heading", number=vote_round.number))
            self._line()
            self._line(self.round_facts(vote_round))
            if not vote_round.results:
                self._line()
                self._line("*" + w("export.round.no_votes") + "*")
                continue
            self._line()
            for result in vote_round.results:
                text = self.voted_texts.get(result.note_id)
                label = (
                    escape_markdown(" ".join(text.split()))
                    if text is not None
                    else f"#{result.note_id}"
                )
                line = w(
                    "export.round.result",
                    text=label,
                    votes=w.plural("common.count.vote", result.votes),
                    people=w.plural("common.count.person", result.voters),
                )
                self._line(f"- **{result.place}.** {line} (#{result.note_id})")
        self._line()
        self._line(
            "*"
            + w(
                "export.step.totals",
                notes=w.plural("common.count.note", self.step_notes),
                people=w.plural("common.count.person", self.step_people),
                comments=w.plural("common.count.comment", self.step_comments),
            )
            + "*"
        )

    def on_board_closed(self) -> None:
        """A closing line naming the tool."""
        self._line()
        self._line("---")
        self._line()
        self._line("*" + self.words("export.footer") + "*")
