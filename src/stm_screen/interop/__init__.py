"""Exchange with other tools: REDCap data dictionaries, FHIR resources, CSV templates. Pure builders."""
