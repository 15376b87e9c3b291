"""The interactive questionnaire: a pure flow (``flow``), the prompt seam (``ask``), the dialogue
(``questionnaire``) and resume files (``resume``)."""
