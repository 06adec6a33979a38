"""One test class every dataset layout subclasses with a few lines (in the style of torchvision's
DatasetTestCase): the shipped checks (landmarkset.testing.check_layout) on a tree of the layout, and its
generated `build NAME` command against its declaration."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

import pytest
from landmarkset.cli.datasets import build_command

from landmarkset.datasets import declaration
from landmarkset.testing import check_layout, generate_tree


class LayoutTestCase:
    """Set ``layout``; override ``make_tree`` for a layout without a generator, ``expected`` for counts."""

    layout: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {"min_frames": 5}  # generated clips are short

    @classmethod
    def make_tree(cls, out: str) -> tuple[str, Optional[str]]:
        return generate_tree(cls.layout, out)

    def expected(self, root: str) -> Optional[dict[str, int]]:
        """Samples per class the tree must build to (None: not checked)."""
        return None

    @pytest.fixture(scope="class")
    @classmethod
    def tree(cls, tmp_path_factory) -> tuple[str, Optional[str]]:
        return cls.make_tree(str(tmp_path_factory.mktemp(cls.layout) / "tree"))

    @pytest.mark.slow
    def test_the_layout_keeps_every_promise(self, tree, tmp_path):
        root, sheet = tree
        done = check_layout(self.layout, root, str(tmp_path), sheet=sheet, expected=self.expected(root), **self.options)
        assert done[-2:] == ["corrupt frame said, the rest unchanged", "link out of the root refused"]

    def test_its_command_is_made_from_its_declaration(self):
        declared = declaration(self.layout)
        command = build_command(self.layout)
        params = {param.name: param for param in command.params}
        for key, option in declared.options.items():
            assert params[key].default == option.default and option.doc in params[key].help
        assert params["neutral"].default == declared.neutral
        if declared.sheet_keyword:
            assert params[declared.sheet_keyword].required
        assert ("whole_videos" in params) == declared.long_videos
