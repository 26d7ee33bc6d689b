"""Undoable checklist edits (QUndoStack commands).  Each one writes through the store.

A command goes on the undo stack only after its first write has committed
(:func:`push_after_write`): a write that fails (another program holds the file, the
item changed meanwhile) leaves no phantom step behind.  An undo or redo whose write
fails is dropped from the stack and reported the same way.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from core.assessment.checklist import Item
from core.errors import PreflightError


class _StoreCommand(QUndoCommand):
    def __init__(self, context, text: str):
        super().__init__(text)
        self.context = context
        self._written = False   # the first write already happened before the push
        self.on_error = None    # callable(message) told about a failed undo or redo

    @property
    def store(self):
        return self.context.store

    def _changed(self):
        self.context.notify("checklist")

    # subclasses write in _do() and _undo()
    def write_first(self) -> None:
        """The first write, before the command is pushed; raises PreflightError when it fails."""
        self._do()
        self._written = True
        self._changed()

    def redo(self):
        if self._written:  # QUndoStack.push calls redo(): the write already committed
            self._written = False
            return
        self._guarded(self._do, "Redo")

    def undo(self):
        self._guarded(self._undo, "Undo")

    def _guarded(self, write, verb: str) -> None:
        try:
            write()
        except PreflightError as exc:
            self.setObsolete(True)  # the stack drops a step that did not happen
            if self.on_error is not None:
                self.on_error(f"{verb} of \u201c{self.text()}\u201d failed, nothing was changed: {exc}")
        self._changed()

    def _do(self):
        raise NotImplementedError

    def _undo(self):
        raise NotImplementedError


def push_after_write(stack, command: _StoreCommand, on_error) -> bool:
    """Write ``command`` once; push it on ``stack`` only when the write committed.

    On failure ``on_error(message)`` is called, the stack is untouched and False is returned.
    """
    command.on_error = on_error
    try:
        command.write_first()
    except PreflightError as exc:
        on_error(f"\u201c{command.text()}\u201d was not saved: {exc}")
        command.context.notify("checklist")  # show what the file really holds
        return False
    stack.push(command)
    return True


class EditItemCommand(_StoreCommand):
    """Change one or more fields of one item.

    Each write states the values it expects to replace, so an edit or undo over an item that
    another program changed meanwhile is refused instead of overwriting that change.
    """

    def __init__(self, context, item: Item, changes: dict, text: str | None = None):
        field = ", ".join(changes)
        super().__init__(context, text or f"Edit {field} of '{item.name}'")
        self.item_id = item.id
        self.before = {k: getattr(item, k) for k in changes}
        self.after = dict(changes)

    def _do(self):
        self.store.update_item(self.item_id, expect=self.before, **self.after)

    def _undo(self):
        self.store.update_item(self.item_id, expect=self.after, **self.before)


class AddItemCommand(_StoreCommand):
    """Add a new item (also used for Duplicate)."""

    def __init__(self, context, item: Item, text: str = "Add item"):
        super().__init__(context, text)
        self.item = replace(item, id=None)
        self.stored_id: int | None = None

    def _do(self):
        stored = self.store.add_item(replace(self.item, id=self.stored_id))
        self.stored_id = stored.id

    def _undo(self):
        self.store.delete_item(self.stored_id)


class DeleteItemCommand(_StoreCommand):
    """Delete an item; undo puts it back with the same id and evidence links."""

    def __init__(self, context, item: Item):
        super().__init__(context, f"Delete '{item.name}'")
        self.item = item
        self.links: list[dict] = []

    def _do(self):
        self.links = self.store.links(self.item.id)
        self.store.delete_item(self.item.id)

    def _undo(self):
        self.store.add_item(self.item, links=self.links)
