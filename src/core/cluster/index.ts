/** Clustering of embeddings: seeded k-means++, silhouette, --auto-k. */
export { kmeans, silhouette, autoK, central, type KMeansResult } from './kmeans.js'
