// k6/execution for the shim: the fields of the running iteration run.ts sets before each call.

export const vu = { idInTest: 0, idInInstance: 0, iterationInInstance: 0, iterationInScenario: 0 };
export const scenario = { name: '', iterationInTest: 0 };
export default { vu, scenario };
