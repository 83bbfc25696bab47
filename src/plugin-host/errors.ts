/** A mistake in the plugin configuration: stops start-up with a message naming what is wrong. */
export class PluginConfigError extends Error {
  override name = 'PluginConfigError';
}
