// The interop wing: the guideline where hospital systems live. FHIR R4 patient data in
// (fhirToFacts), CDS Hooks 2.0 cards out. Imports the runtime wing only; no Node built-ins.
export {};
