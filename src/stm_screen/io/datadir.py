"""The tool's data folder: ``STM_SCREEN_HOME``, else the platform's user data folder. Created 0700."""

from __future__ import annotations

import os
from pathlib import Path

from stm_screen.errors import StoreError, os_reason
from stm_screen.i18n import L_


def data_dir(create: bool = True) -> Path:
    """The data folder (resume files, history); created with mode 0700 when asked."""
    home = os.environ.get("STM_SCREEN_HOME", "").strip()
    if home:
        try:
            folder = Path(home).expanduser()
        except RuntimeError:  # '~someone' for a user this system does not know, or no home folder at all
            raise StoreError(
                L_(
                    "cannot use the data folder {folder}: its '~' names no home folder on this system (set "
                    "STM_SCREEN_HOME to a folder path)",
                    folder=home,
                )
            ) from None
    else:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("stm-screen", appauthor=False))
    try:
        is_file = folder.exists() and not folder.is_dir()
    except OSError as exc:  # a name longer than the system allows, a loop of links, ...
        reason = os_reason(exc)
        raise StoreError(
            L_("cannot use the data folder {folder}: {reason} (set STM_SCREEN_HOME to a usable folder)", folder=folder, reason=reason)
        ) from None
    if is_file:
        raise StoreError(
            L_("cannot use the data folder {folder}: it is a file, not a folder (set STM_SCREEN_HOME to a folder)", folder=folder)
        )
    if create:
        try:
            existed = folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Tighten a folder we made, or our own platform folder; never a folder the user pointed
            # STM_SCREEN_HOME at (e.g. /tmp or a shared folder): the files in it are 0600 anyway.
            if os.name == "posix" and (not existed or not home):
                os.chmod(folder, 0o700)
        except OSError as exc:
            reason = os_reason(exc)
            raise StoreError(
                L_("cannot use the data folder {folder}: {reason} (set STM_SCREEN_HOME to a writable folder)", folder=folder, reason=reason)
            ) from None
    return folder
