"""Undoable checklist edits (QUndoStack commands).  Each one writes through the store."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QUndoCommand

from core.assessment.checklist import Item


class _StoreCommand(QUndoCommand):
    def __init__(self, context, text: str):
        super().__init__(text)
        self.context = context

    @property
    def store(self):
        return self.context.store

    def _changed(self):
        self.context.notify("checklist")


class EditItemCommand(QUndoCommand):
    """Change one or more fields of one item."""

    def __init__(self, context, item: Item, changes: dict, text: str | None = None):
        field = ", ".join(changes)
        super().__init__(text or f"Edit {field} of '{item.name}'")
        self.context = context
        self.item_id = item.id
        self.before = {k: getattr(item, k) for k in changes}
        self.after = dict(changes)

    def redo(self):
        self.context.store.update_item(self.item_id, **self.after)
        self.context.notify("checklist")

    def undo(self):
        self.context.store.update_item(self.item_id, **self.before)
        self.context.notify("checklist")


class AddItemCommand(_StoreCommand):
    """Add a new item (also used for Duplicate)."""

    def __init__(self, context, item: Item, text: str = "Add item"):
        super().__init__(context, text)
        self.item = replace(item, id=None)
        self.stored_id: int | None = None

    def redo(self):
        stored = self.store.add_item(replace(self.item, id=self.stored_id))
        self.stored_id = stored.id
        self._changed()

    def undo(self):
        self.store.delete_item(self.stored_id)
        self._changed()


class DeleteItemCommand(_StoreCommand):
    """Delete an item; undo puts it back with the same id and evidence links."""

    def __init__(self, context, item: Item):
        super().__init__(context, f"Delete '{item.name}'")
        self.item = item
        self.links: list[dict] = []

    def redo(self):
        self.links = self.store.links(self.item.id)
        self.store.delete_item(self.item.id)
        self._changed()

    def undo(self):
        self.store.add_item(self.item, links=self.links)
        self._changed()
