// Loaded before every test file (.mocharc.json): what Lambda's environment gives every function and the
// stack sets on each, for the handlers the tests load in this process, so Powertools has its namespace
// and service and warns of neither. A test that needs other values sets its own.
process.env.POWERTOOLS_METRICS_NAMESPACE ??= "graviton-platform/test";
process.env.POWERTOOLS_SERVICE_NAME ??= "test";
