import { campaignsPlugin } from '../../plugins/campaigns/index.ts';
import installed from '../../plugins/config.ts';

/** The deployment's plugins and the campaigns plugin (not installed by default): the campaign scenarios' API. */
export default [...installed, campaignsPlugin()];
