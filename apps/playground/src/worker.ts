// The pipelines run here, never on the page's main thread.
import { handleWorkerRequests } from '@kandinsky/web';

handleWorkerRequests(self as unknown as Parameters<typeof handleWorkerRequests>[0], { sdkVersion: 'kandinsky-ts playground' });
